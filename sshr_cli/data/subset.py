"""A fixed, seeded, per-language-balanced subset of a split (the dev set of frequent evaluations).

    rows = balanced_subset(index.lang_ids, len(index.langs), max_utterances=2000, seed=0)
    SpeechDataset(index, rows=rows)

Every language gets an equal share of `max_utterances`; a language with fewer utterances gives
all of them, and what it leaves over is shared among the others. Within a language the rows are
drawn at random with the seed, so the subset is the same in every evaluation and every resume.
"""

from __future__ import annotations

import numpy as np


def language_quotas(counts: np.ndarray, max_utterances: int) -> np.ndarray:
    """Utterances to take per language: equal shares of `max_utterances`, capped at `counts`
    (what a small language cannot use goes to the others). int64 [L]."""
    counts = np.asarray(counts, dtype=np.int64)
    quota = np.zeros_like(counts)
    left = min(int(max_utterances), int(counts.sum()))
    while left > 0:
        open_ = np.flatnonzero(quota < counts)  # languages with utterances still to give
        share = np.full(len(open_), left // len(open_), dtype=np.int64)
        share[: left % len(open_)] += 1  # the remainder, one each to the first languages
        take = np.minimum(share, counts[open_] - quota[open_])
        quota[open_] += take
        left -= int(take.sum())
    return quota


def balanced_subset(lang_ids: np.ndarray, n_langs: int, max_utterances: int, seed: int) -> np.ndarray:
    """Sorted row numbers of the subset (see the module docstring), int64 [<= max_utterances]."""
    lang_ids = np.asarray(lang_ids)
    quotas = language_quotas(np.bincount(lang_ids, minlength=n_langs), max_utterances)
    rng = np.random.default_rng([seed, n_langs, max_utterances])
    picked = [rng.permutation(np.flatnonzero(lang_ids == lang))[:q] for lang, q in enumerate(quotas)]
    return np.sort(np.concatenate(picked)) if picked else np.zeros(0, np.int64)
