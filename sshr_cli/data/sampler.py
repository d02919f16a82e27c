"""Duration-bucketed batches, planned once per epoch in O(N) with numpy (no torch import).

    sampler = DurationBatchSampler(index.durations, max_batch_seconds=80, seed=0, rank=rank, world_size=world)
    loader = DataLoader(dataset, batch_sampler=sampler, collate_fn=collate)      # sshr_cli.data.dataset

Batches hold utterances of similar length, at most `max_batch_seconds` of *padded* audio each
(batch size x longest utterance, which is what memory and compute pay for). Each epoch the
durations get a little seeded noise and fall into duration buckets 2% wide; the buckets, shortest
first, are cut into batches as large as their longest utterance allows, the few utterances left
at a bucket's end joining the next bucket's first batch; the batch order is shuffled. The plan is a
pure function of (seed, epoch), computed in O(N) with numpy once per epoch and cached; under DDP
each rank takes every world_size-th batch, so shards are disjoint, and all ranks get the same
number of batches. `start` skips batches already consumed, so a resumed run continues mid-epoch
exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from sshr_cli.config import RunConfig
from sshr_cli.errors import DataError

BUCKET_WIDTH = 0.02  # relative width of a duration bucket: a batch's lengths differ by ~2% (+ the jitter)
BUCKET_FLOOR_S = 0.05  # the first bucket holds everything shorter


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


def batch_size(longest: float, max_batch_seconds: float, max_batch_size: int) -> int:
    """How many utterances fit in a batch whose longest lasts `longest` s (at least one)."""
    return int(min(max(max_batch_seconds // max(longest, 1e-3), 1), max_batch_size))


def pack_buckets(durations: np.ndarray, order: np.ndarray, buckets: np.ndarray, max_batch_seconds: float,
                 max_batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of batches over `order` (grouped by ascending bucket, `buckets` sorted alike).

    Greedy, like sorting by length and filling each batch up to the cap, but a bucket at a time:
    the utterances left over at a bucket's end (fewer than a batch) open the next bucket's first
    batch instead of forming a small batch of their own, so a small corpus spread over many
    buckets still gets full batches. O(N) in numpy, plus a Python step per bucket (a few hundred).
    """
    n = len(order)
    ordered = durations[order]  # [N] s
    seg_start = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])  # [S]
    seg_end = np.r_[seg_start[1:], n]
    seg_longest = np.maximum.reduceat(ordered, seg_start)  # [S] s
    starts, lo, longest = [], 0, 0.0  # lo: first utterance not yet in a batch (the carry)
    for begin, end, bucket_longest in zip(seg_start.tolist(), seg_end.tolist(), seg_longest.tolist()):
        size = batch_size(max(longest, bucket_longest), max_batch_seconds, max_batch_size)
        if begin - lo >= size:  # the carry would not fit beside this bucket's longest: it goes alone
            starts.append(np.array([lo], dtype=np.int64))
            lo, size = begin, batch_size(bucket_longest, max_batch_seconds, max_batch_size)
        full = (end - lo) // size
        starts.append(lo + size * np.arange(full, dtype=np.int64))  # [full]
        lo += full * size
        longest = float(ordered[lo:end].max()) if lo < end else 0.0
    starts = np.concatenate(starts + [np.array([lo] if lo < n else [], dtype=np.int64)])  # [B]
    return starts, np.r_[starts[1:], n]


class DurationBatchSampler:
    """Duration-bucketed batches (see the module docstring). Yields lists of dataset indices; a
    torch DataLoader takes it as `batch_sampler` (any iterable of index lists with a len)."""

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


def train_sampler(cfg: RunConfig, durations, rank: int = 0, world_size: int = 1) -> DurationBatchSampler:
    """The train batches of one rank, as the recipe's data section and seed say."""
    d = cfg.data
    return DurationBatchSampler(durations, max_batch_seconds=d.max_batch_seconds, max_batch_size=d.max_batch_size,
                                seed=cfg.train.seed, jitter=d.duration_jitter, shuffle=True, rank=rank,
                                world_size=world_size)
