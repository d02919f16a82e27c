"""Greedy (best-path) CTC decoding: argmax per frame, merge repeats, drop blanks.

Works on frame ids, so long audio can be reduced chunk by chunk to one int per frame
(`best_path`) and decoded once at the end (`collapse`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sshr_cli.constants import WORD_SEPARATOR
from sshr_cli.decode.result import Hypothesis
from sshr_cli.errors import ConfigError
from sshr_cli.text.vocab import Vocab


def best_path(log_probs: np.ndarray) -> np.ndarray:
    """[T, V] log-probabilities (or logits) -> [T] int32 argmax ids."""
    if log_probs.ndim != 2:
        raise ConfigError(f"greedy decoding needs logits of shape (time, vocab), got {log_probs.shape}")
    return log_probs.argmax(axis=1).astype(np.int32)


def collapse(frame_ids: np.ndarray, vocab: Vocab, score: float = 0.0) -> Hypothesis:
    """[T] frame ids -> units and words with (first frame, last frame + 1) spans."""
    frame_ids = np.asarray(frame_ids)
    if frame_ids.size == 0:
        return Hypothesis((), (), score)
    starts = np.flatnonzero(np.r_[True, frame_ids[1:] != frame_ids[:-1]])  # first frame of each run
    ends = np.r_[starts[1:], frame_ids.size]  # one past the last frame of each run
    keep = frame_ids[starts] != vocab.blank_id
    ids, starts, ends = frame_ids[starts][keep], starts[keep], ends[keep]
    units = tuple(vocab.decode(ids.tolist()))
    return Hypothesis(units, _words(units, starts.tolist(), ends.tolist()), score)


def _words(units: tuple[str, ...], starts: list[int], ends: list[int]) -> tuple[tuple[str, int, int], ...]:
    """Words are the units between separators; a word spans its first unit's start to its last unit's end."""
    words, current, first, last = [], [], 0, 0
    for unit, start, end in zip(units, starts, ends):
        if unit == WORD_SEPARATOR:
            if current:
                words.append(("".join(current), first, last))
            current = []
            continue
        if not current:
            first = start
        current.append(unit)
        last = end
    if current:
        words.append(("".join(current), first, last))
    return tuple(words)


def greedy_decode(log_probs: np.ndarray, vocab: Vocab) -> Hypothesis:
    """[T, V] -> Hypothesis; the score is the best path's summed log-probability."""
    ids = best_path(log_probs)
    score = float(log_probs[np.arange(len(ids)), ids].sum()) if len(ids) else 0.0
    return collapse(ids, vocab, score)


def split_word_units(word: str, vocab: Vocab) -> tuple[str, ...]:
    """A word string back to vocabulary units, longest match first (for beam output on phonemes)."""
    tokens = _longest_first(vocab.units)
    units, i = [], 0
    while i < len(word):
        match = next((t for t in tokens if word.startswith(t, i)), word[i])
        units.append(match)
        i += len(match)
    return tuple(units)


@lru_cache(maxsize=8)
def _longest_first(tokens: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted((t for t in tokens if t and t != WORD_SEPARATOR), key=len, reverse=True))
