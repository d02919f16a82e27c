"""The prepared index -> a torch Dataset, a duration-bucketed batch sampler and a collate function.

    index = open_index(data_dir, langs, "train", vocab)            # sshr_cli.data.index, memory-mapped
    sampler = DurationBatchSampler(index.durations, max_batch_seconds=80, seed=0, rank=rank, world_size=world)
    loader = DataLoader(SpeechDataset(index), batch_sampler=sampler, collate_fn=collate)

Batches hold utterances of similar length, at most `max_batch_seconds` of *padded* audio each
(batch size x longest utterance, which is what memory and compute pay for). Each epoch the
durations get a little seeded noise, fall into duration buckets 2% wide, and every bucket is cut
into batches as large as its longest utterance allows; the batch order is shuffled. The plan is a
pure function of (seed, epoch), computed in O(N) with numpy once per epoch and cached; under DDP
each rank takes every world_size-th batch, so shards are disjoint, and all ranks get the same
number of batches. `start` skips batches already consumed, so a resumed run continues mid-epoch
exactly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import torch

from sshr_cli.audio import load_audio
from sshr_cli.constants import SAMPLE_RATE_HZ
from sshr_cli.data.index import SpeechIndex, Utterance, conv_frames, ctc_min_frames  # noqa: F401  re-export
from sshr_cli.errors import DataError

LABEL_PAD = -100  # ignored by the CTC loss, as in transformers
NORM_EPS = 1e-7  # variance floor of the per-utterance normalisation (HF Wav2Vec2FeatureExtractor)
BUCKET_WIDTH = 0.02  # relative width of a duration bucket: a batch's lengths differ by ~2% (+ the jitter)
BUCKET_FLOOR_S = 0.05  # the first bucket holds everything shorter


def normalize_wave(wave: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance per utterance (what wav2vec2-family encoders were trained on)."""
    wave = wave.astype(np.float32, copy=False)
    return (wave - wave.mean()) / np.sqrt(wave.var() + NORM_EPS)


class SpeechDataset(torch.utils.data.Dataset):
    """Item i -> {"wave": float32 [S] normalised, "labels": int32 [L], "lang_id", "index": i}.

    Items are read from the memory-mapped index: no per-utterance Python objects, so forked
    workers share the index's pages. `rows` restricts the set to those index rows (item i is
    row rows[i]), e.g. a dev subset.
    """

    def __init__(self, index: SpeechIndex, rows: np.ndarray | None = None, cache_audio: bool = False):
        self.index, self.rows = index, None if rows is None else np.asarray(rows, dtype=np.int64)
        self.cache: dict[int, np.ndarray] | None = {} if cache_audio else None

    def __len__(self) -> int:
        return len(self.index) if self.rows is None else len(self.rows)

    def row(self, i: int) -> int:
        return i if self.rows is None else int(self.rows[i])

    @property
    def durations(self) -> np.ndarray:
        return self.index.durations if self.rows is None else self.index.durations[self.rows]

    def utterance(self, i: int) -> Utterance:
        return self.index[self.row(i)]

    def __getitem__(self, i: int) -> dict:
        r = self.row(i)
        wave = self.cache.get(i) if self.cache is not None else None
        if wave is None:
            wave = normalize_wave(load_audio(self.index.audio_path(r)))
            if self.cache is not None:
                self.cache[i] = wave
        return {"wave": wave, "labels": self.index.labels(r), "lang_id": int(self.index.lang_ids[r]), "index": i}


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
        labels[i, : len(it["labels"])] = torch.from_numpy(np.array(it["labels"], dtype=np.int64))  # a copy: the map is read-only
    lang_ids = torch.tensor([it["lang_id"] for it in items], dtype=torch.long)
    return Batch(waves, mask, labels, lang_ids, [it["index"] for it in items],
                 sum(lengths) / SAMPLE_RATE_HZ, len(items) * longest / SAMPLE_RATE_HZ)


@dataclass(frozen=True)
class EpochPlan:
    """One epoch's batches: batch b is order[starts[b]:ends[b]] (already shuffled, padded to ranks)."""

    order: np.ndarray  # int64 [N] utterance indices, bucket after bucket
    starts: np.ndarray  # int64 [B]
    ends: np.ndarray  # int64 [B]
    unique: int  # batches before the repeats that even out the ranks

    def __len__(self) -> int:
        return len(self.starts)

    def batch(self, b: int) -> list[int]:
        return self.order[self.starts[b]: self.ends[b]].tolist()


def duration_buckets(keys: np.ndarray) -> np.ndarray:
    """Bucket number of each duration (s): geometric buckets BUCKET_WIDTH wide, uint16 [N]."""
    steps = np.log(np.maximum(keys, BUCKET_FLOOR_S) / BUCKET_FLOOR_S) / np.log1p(BUCKET_WIDTH)
    return np.minimum(steps, np.iinfo(np.uint16).max).astype(np.uint16)


def pack_buckets(durations: np.ndarray, order: np.ndarray, buckets: np.ndarray, max_batch_seconds: float,
                 max_batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of batches over `order` (grouped by bucket, `buckets` sorted alike): each
    bucket is cut into batches of as many utterances as its longest one allows under the cap."""
    n = len(order)
    seg_start = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])  # [S]
    seg_end = np.r_[seg_start[1:], n]
    longest = np.maximum.reduceat(durations[order], seg_start)  # [S] s
    size = np.clip(np.floor(max_batch_seconds / longest), 1, max_batch_size).astype(np.int64)
    per_seg = -(-(seg_end - seg_start) // size)  # [S] batches per bucket
    seg = np.repeat(np.arange(len(seg_start)), per_seg)  # [B] the bucket of each batch
    k = np.arange(len(seg)) - np.repeat(np.cumsum(per_seg) - per_seg, per_seg)  # [B] batch number in its bucket
    starts = seg_start[seg] + k * size[seg]
    return starts, np.minimum(starts + size[seg], seg_end[seg])


class DurationBatchSampler(torch.utils.data.Sampler):
    """Duration-bucketed batches (see the module docstring). Yields lists of dataset indices."""

    def __init__(self, durations: Sequence[float] | np.ndarray, max_batch_seconds: float, max_batch_size: int = 64,
                 seed: int = 0, jitter: float = 0.05, shuffle: bool = True, rank: int = 0, world_size: int = 1):
        if len(durations) == 0:
            raise DataError("no utterances to batch (every one was skipped, or the manifests are empty)")
        self.durations = np.asarray(durations, dtype=np.float32)  # a memory map stays one
        self.max_batch_seconds, self.max_batch_size = max_batch_seconds, max_batch_size
        self.seed, self.jitter, self.shuffle = seed, jitter, shuffle
        self.rank, self.world_size = rank, world_size
        self.epoch, self.start = 0, 0
        self._cached: tuple[int, EpochPlan] | None = None

    def set_epoch(self, epoch: int, start: int = 0) -> None:
        """Plan `epoch` and skip its first `start` batches (of this rank) when iterated."""
        self.epoch, self.start = epoch, start

    def epoch_plan(self, epoch: int) -> EpochPlan:
        """All ranks' batches for `epoch` (computed once per epoch, then cached)."""
        if self._cached is None or self._cached[0] != epoch:
            self._cached = (epoch, self._make_plan(epoch))
        return self._cached[1]

    def _make_plan(self, epoch: int) -> EpochPlan:
        n = len(self.durations)
        rng = np.random.default_rng([self.seed, epoch])
        if self.shuffle:
            perm = rng.permutation(n)  # random order within a bucket
            keys = self.durations[perm] * (1 + self.jitter * (2 * rng.random(n) - 1))
        else:
            perm, keys = np.arange(n), self.durations
        buckets = duration_buckets(keys)
        by_bucket = np.argsort(buckets, kind="stable")  # radix sort on uint16: O(N)
        order = perm[by_bucket]
        starts, ends = pack_buckets(self.durations, order, buckets[by_bucket], self.max_batch_seconds,
                                    self.max_batch_size)
        if self.shuffle:
            shuffled = rng.permutation(len(starts))
            starts, ends = starts[shuffled], ends[shuffled]
        unique = len(starts)
        pad = np.arange((-unique) % self.world_size) % unique  # repeats so every rank steps alike
        return EpochPlan(order, np.r_[starts, starts[pad]], np.r_[ends, ends[pad]], unique)

    def plan(self, epoch: int) -> list[list[int]]:
        """All ranks' batches for `epoch` as lists (for tests and small corpora)."""
        p = self.epoch_plan(epoch)
        return [p.batch(b) for b in range(len(p))]

    def rank_batches(self, epoch: int) -> list[list[int]]:
        p = self.epoch_plan(epoch)
        return [p.batch(b) for b in range(self.rank, len(p), self.world_size)]

    def __iter__(self) -> Iterator[list[int]]:
        p = self.epoch_plan(self.epoch)
        for b in range(self.rank + self.start * self.world_size, len(p), self.world_size):
            yield p.batch(b)

    def __len__(self) -> int:
        return len(self.epoch_plan(self.epoch)) // self.world_size - self.start

    def batches_per_epoch(self) -> int:
        return len(self.epoch_plan(self.epoch)) // self.world_size

    def padding_fraction(self, epoch: int | None = None) -> float:
        """Share of padded samples in `epoch`'s batches (0 = no waste)."""
        p = self.epoch_plan(self.epoch if epoch is None else epoch)
        starts = np.sort(p.starts[: p.unique])  # the batches tile `order`
        ordered = self.durations[p.order].astype(np.float64)
        longest = np.maximum.reduceat(ordered, starts)
        sizes = np.diff(np.r_[starts, len(ordered)])
        return 1.0 - float(ordered.sum()) / float((sizes * longest).sum())

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "start": self.start, "seed": self.seed}

    def load_state_dict(self, state: dict) -> None:
        self.set_epoch(int(state["epoch"]), int(state["start"]))
