"""The prepared index -> a torch Dataset, a duration-bucketed batch sampler and a collate function.

    index = open_index(data_dir, langs, "train", vocab)            # sshr_cli.data.index, memory-mapped
    sampler = DurationBatchSampler(index.durations, max_batch_seconds=80, seed=0, rank=rank, world_size=world)
    loader = DataLoader(SpeechDataset(index), batch_sampler=sampler, collate_fn=collate)

The batch sampler lives in data/sampler.py (numpy only, so that `sshr finetune --dry-run` plans
an epoch without importing torch); it is re-exported here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from sshr_cli.audio import load_audio
from sshr_cli.constants import SAMPLE_RATE_HZ
from sshr_cli.data.index import SpeechIndex, Utterance, conv_frames, ctc_min_frames  # noqa: F401  re-export
from sshr_cli.data.sampler import DurationBatchSampler, EpochPlan  # noqa: F401  re-export

LABEL_PAD = -100  # ignored by the CTC loss, as in transformers
NORM_EPS = 1e-7  # variance floor of the per-utterance normalisation (HF Wav2Vec2FeatureExtractor)


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

    @property
    def lang_ids(self) -> np.ndarray:
        """[len(self)] int16: each item's position in self.index.langs."""
        return self.index.lang_ids if self.rows is None else self.index.lang_ids[self.rows]

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
