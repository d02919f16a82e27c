"""Manifests -> a torch Dataset, a duration-bucketed batch sampler and a collate function.

    utts, skipped = load_utterances(data_dir, langs, "train", vocab, frames_of)
    sampler = DurationBatchSampler([u.duration for u in utts], max_batch_seconds=80, seed=0,
                                   rank=rank, world_size=world)
    loader = DataLoader(SpeechDataset(utts), batch_sampler=sampler, collate_fn=collate)

Batches hold utterances of similar length, at most `max_batch_seconds` of *padded* audio each
(batch size x longest utterance, which is what memory and compute pay for). Each epoch the
durations get a little seeded noise before sorting, so buckets differ between epochs, and the
batch order is shuffled. The plan is a pure function of (seed, epoch); under DDP each rank takes
every world_size-th batch, so shards are disjoint, and all ranks get the same number of batches.
`start` skips batches already consumed, so a resumed run continues mid-epoch exactly.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import torch

from sshr_cli.audio import load_audio
from sshr_cli.constants import SAMPLE_RATE_HZ
from sshr_cli.data.manifest import load_manifest, manifest_path
from sshr_cli.errors import DataError
from sshr_cli.text.vocab import Vocab

LABEL_PAD = -100  # ignored by the CTC loss, as in transformers
NORM_EPS = 1e-7  # variance floor of the per-utterance normalisation (HF Wav2Vec2FeatureExtractor)
MMS_CONV_KERNELS = (10, 3, 3, 3, 3, 2, 2)  # wav2vec2 conv feature encoder: 320 samples per frame
MMS_CONV_STRIDES = (5, 2, 2, 2, 2, 2, 2)


@dataclass(frozen=True)
class Utterance:
    id: str
    audio_path: str  # the manifest's audio_filepath
    duration: float  # s
    lang: str
    lang_id: int
    labels: tuple[int, ...]
    units: str  # space-separated reference units, "|" between words
    text: str


@dataclass
class SkipReport:
    counts: dict[str, int] = field(default_factory=dict)  # reason -> n
    examples: dict[str, list[str]] = field(default_factory=dict)  # reason -> a few ids

    def add(self, reason: str, utt_id: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        self.examples.setdefault(reason, [])
        if len(self.examples[reason]) < 3:
            self.examples[reason].append(utt_id)

    def lines(self, split: str) -> list[str]:
        return [f"{split}: skipped {n} utterance(s): {reason} (e.g. {', '.join(self.examples[reason])})"
                for reason, n in sorted(self.counts.items())]


def conv_frames(num_samples: int, kernels: Sequence[int] = MMS_CONV_KERNELS,
                strides: Sequence[int] = MMS_CONV_STRIDES) -> int:
    """Encoder frames for `num_samples` of audio (the conv stack, no padding)."""
    n = num_samples
    for k, s in zip(kernels, strides):
        n = (n - k) // s + 1
    return max(n, 0)


def ctc_min_frames(labels: Sequence[int]) -> int:
    """Frames CTC needs for `labels`: one per label plus a blank between each repeated pair."""
    return len(labels) + sum(a == b for a, b in zip(labels, labels[1:]))


def load_utterances(data_dir: str | Path, langs: Sequence[str], split: str, vocab: Vocab,
                    frames_of: Callable[[int], int] = conv_frames,
                    max_duration: float | None = None) -> tuple[list[Utterance], SkipReport]:
    """Read `split` manifests for `langs`; skip (and count) what CTC cannot learn from."""
    utts, skipped = [], SkipReport()
    for lang_id, lang in enumerate(langs):
        bad: list[str] = []
        for row in load_manifest(manifest_path(data_dir, lang, split), skipped=bad):
            if "units" not in row:
                raise DataError(f"{manifest_path(data_dir, lang, split)}: row {row['id']} has no 'units'; "
                                f"re-run `sshr prepare` with this version")
            labels = tuple(vocab.encode(row["units"].split()))
            duration = float(row["duration"])
            if not labels:
                skipped.add("no target units", row["id"])
            elif max_duration is not None and duration > max_duration:
                skipped.add(f"longer than {max_duration:g} s", row["id"])
            elif ctc_min_frames(labels) > frames_of(round(duration * SAMPLE_RATE_HZ)):
                skipped.add("more labels than encoder frames", row["id"])
            else:
                utts.append(Utterance(str(row["id"]), row["audio_filepath"], duration, lang, lang_id,
                                      labels, row["units"], row.get("text", "")))
        for where in bad:
            skipped.add("malformed manifest row", where)
    return utts, skipped


def normalize_wave(wave: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per utterance (what wav2vec2-family encoders were trained on)."""
    wave = wave.astype(np.float32, copy=False)
    return (wave - wave.mean()) / np.sqrt(wave.var() + NORM_EPS)


class SpeechDataset(torch.utils.data.Dataset):
    """Item i -> {"wave": float32 [S] normalised, "labels", "lang_id", "index"}."""

    def __init__(self, utts: Sequence[Utterance], cache_audio: bool = False):
        self.utts = list(utts)
        self.cache: dict[int, np.ndarray] | None = {} if cache_audio else None

    def __len__(self) -> int:
        return len(self.utts)

    def __getitem__(self, i: int) -> dict:
        utt = self.utts[i]
        wave = self.cache.get(i) if self.cache is not None else None
        if wave is None:
            wave = normalize_wave(load_audio(utt.audio_path))
            if self.cache is not None:
                self.cache[i] = wave
        return {"wave": wave, "labels": utt.labels, "lang_id": utt.lang_id, "index": i}


@dataclass
class Batch:
    input_values: torch.Tensor  # [B, S] float32
    attention_mask: torch.Tensor  # [B, S] long, 1 = real sample
    labels: torch.Tensor  # [B, L] long, LABEL_PAD after each utterance's end
    lang_ids: torch.Tensor  # [B] long
    indices: list[int]  # dataset indices, for looking up references
    audio_seconds: float  # real audio in the batch
    padded_seconds: float  # B x longest

    def pin_memory(self) -> "Batch":
        """Called by DataLoader(pin_memory=True) in its pinning thread: page-locked host tensors make
        the copy in `to` asynchronous (without this the copies were pageable and blocking)."""
        return dataclasses.replace(self, input_values=self.input_values.pin_memory(),
                                   attention_mask=self.attention_mask.pin_memory(),
                                   labels=self.labels.pin_memory(), lang_ids=self.lang_ids.pin_memory())

    def to(self, device) -> "Batch":
        move = dict(non_blocking=True)
        return Batch(self.input_values.to(device, **move), self.attention_mask.to(device, **move),
                     self.labels.to(device, **move), self.lang_ids.to(device, **move), self.indices,
                     self.audio_seconds, self.padded_seconds)


def collate(items: Sequence[dict]) -> Batch:
    """Right-pad waves with zeros and labels with LABEL_PAD."""
    lengths = [len(it["wave"]) for it in items]
    longest, max_labels = max(lengths), max(len(it["labels"]) for it in items)
    waves = torch.zeros(len(items), longest)  # [B, S]
    mask = torch.zeros(len(items), longest, dtype=torch.long)
    labels = torch.full((len(items), max_labels), LABEL_PAD, dtype=torch.long)  # [B, L]
    for i, it in enumerate(items):
        waves[i, : lengths[i]] = torch.from_numpy(it["wave"])
        mask[i, : lengths[i]] = 1
        labels[i, : len(it["labels"])] = torch.tensor(it["labels"], dtype=torch.long)
    lang_ids = torch.tensor([it["lang_id"] for it in items], dtype=torch.long)
    return Batch(waves, mask, labels, lang_ids, [it["index"] for it in items],
                 sum(lengths) / SAMPLE_RATE_HZ, len(items) * longest / SAMPLE_RATE_HZ)


class DurationBatchSampler(torch.utils.data.Sampler):
    """Duration-bucketed batches (see the module docstring). Yields lists of dataset indices."""

    def __init__(self, durations: Sequence[float], max_batch_seconds: float, max_batch_size: int = 64,
                 seed: int = 0, jitter: float = 0.05, shuffle: bool = True, rank: int = 0, world_size: int = 1):
        if not durations:
            raise DataError("no utterances to batch (every one was skipped, or the manifests are empty)")
        self.durations = [float(d) for d in durations]
        self.max_batch_seconds, self.max_batch_size = max_batch_seconds, max_batch_size
        self.seed, self.jitter, self.shuffle = seed, jitter, shuffle
        self.rank, self.world_size = rank, world_size
        self.epoch, self.start = 0, 0

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        """Plan `epoch` and skip its first `start` batches (of this rank) when iterated."""
        self.epoch, self.start = epoch, start

    def plan(self, epoch: int) -> list[list[int]]:
        """All ranks' batches for `epoch`, in order, padded to a multiple of world_size."""
        rng = random.Random(self.seed * 100_003 + epoch)
        order = list(range(len(self.durations)))
        if self.shuffle:
            rng.shuffle(order)
            keys = {i: self.durations[i] * (1 + self.jitter * (2 * rng.random() - 1)) for i in order}
        else:
            keys = {i: self.durations[i] for i in order}
        order.sort(key=keys.__getitem__)
        batches = self._pack(order)
        if self.shuffle:
            rng.shuffle(batches)
        short = (-len(batches)) % self.world_size
        return batches + [batches[i % len(batches)] for i in range(short)]

    def _pack(self, order: list[int]) -> list[list[int]]:
        """Greedy: add utterances (sorted by length) while batch size x longest fits the cap."""
        batches, current, longest = [], [], 0.0
        for i in order:
            duration = self.durations[i]
            if current and (max(longest, duration) * (len(current) + 1) > self.max_batch_seconds
                            or len(current) >= self.max_batch_size):
                batches.append(current)
                current, longest = [], 0.0
            current.append(i)
            longest = max(longest, duration)
        if current:
            batches.append(current)
        return batches

    def rank_batches(self, epoch: int) -> list[list[int]]:
        return self.plan(epoch)[self.rank:: self.world_size]

    def __iter__(self) -> Iterator[list[int]]:
        yield from self.rank_batches(self.epoch)[self.start:]

    def __len__(self) -> int:
        return len(self.rank_batches(self.epoch)) - self.start

    def batches_per_epoch(self) -> int:
        return len(self.plan(0)) // self.world_size

    def padding_fraction(self, epoch: int | None = None) -> float:
        """Share of padded samples in `epoch`'s batches (0 = no waste)."""
        batches = self.plan(self.epoch if epoch is None else epoch)
        real = sum(self.durations[i] for b in batches for i in b)
        padded = sum(len(b) * max(self.durations[i] for i in b) for b in batches)
        return 1.0 - real / padded

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "start": self.start, "seed": self.seed}

    def load_state_dict(self, state: dict) -> None:
        self.set_epoch(int(state["epoch"]), int(state["start"]))
