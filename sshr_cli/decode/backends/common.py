"""What the beam-search backends share: search thresholds, the static-frame merge, and the LM's words.

Runs of frames on which the search can only extend every beam by the same single token
(the blank, most often) are merged before the search (`merge_static_frames`): this shifts
every beam's score by the same amount, so the result is unchanged, and trained CTC models
make most frames like that.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from sshr_cli.constants import UNK_TOKEN, WORD_SEPARATOR
from sshr_cli.decode.greedy import split_word_units
from sshr_cli.errors import ConfigError, DataError
from sshr_cli.text.vocab import Vocab

TOKEN_MIN_LOGP = -5.0  # natural log; tokens below this on a frame are not expanded (pyctcdecode's default)
BEAM_PRUNE_LOGP = -10.0  # natural log; beams this far below the best are dropped (pyctcdecode's default)
from sshr_cli.runs import UNIGRAMS_FILE  # re-export: the checkpoint layout lives in runs.py
LM_MISMATCH_FRACTION = 0.2  # warn when more LM words than this use characters the model cannot emit
ARPA_MAGIC = "\\data\\"
LM_EXTRA = "lm"  # the pip extra that installs pyctcdecode, kenlm and flashlight-text


def check_logits(log_probs: np.ndarray, n_tokens: int) -> np.ndarray:
    """[T, V] float32, or a one-line error naming the shape a beam search needs."""
    if log_probs.ndim != 2 or log_probs.shape[1] != n_tokens:
        raise ConfigError(f"beam search needs logits of shape (time, {n_tokens}), got {log_probs.shape}")
    return np.asarray(log_probs, dtype=np.float32)


def kenlm_error(lm_path: str, exc: Exception) -> DataError:
    return DataError(f"--lm {lm_path}: KenLM cannot read it ({str(exc).splitlines()[0]})")


def merge_static_frames(log_probs: np.ndarray, min_logp: float = TOKEN_MIN_LOGP):
    """Drop frames whose only candidate token equals the previous frame's only candidate.

    Returns the kept frames [K, V] and, per kept frame, the original first frame and the
    original end (exclusive) of the run it stands for.
    """
    candidates = (log_probs >= min_logp).sum(axis=1)  # [T]
    best = log_probs.argmax(axis=1)  # [T]
    single = candidates <= 1
    static = np.r_[False, single[1:] & single[:-1] & (best[1:] == best[:-1])]  # [T]
    keep = np.flatnonzero(~static)
    ends = np.r_[keep[1:], len(log_probs)]
    return log_probs[keep], keep, ends


def is_arpa(path: str | Path) -> bool:
    with open(path, "rb") as f:
        for line in f:
            if line.strip():
                return line.strip() == ARPA_MAGIC.encode()
    return False


def read_arpa_unigrams(path: str | Path) -> tuple[str, ...]:
    """Every word of the \\1-grams: section except the sentence markers."""
    words, inside = [], False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("\\"):
                if inside:
                    break
                inside = line == "\\1-grams:"
                continue
            parts = line.split()
            if inside and len(parts) >= 2 and parts[1] not in ("<s>", "</s>", "<unk>"):
                words.append(parts[1])
    if not words:
        raise DataError(f"{path}: no unigrams in the ARPA file; rebuild it with `sshr lm build`")
    return tuple(words)


def find_unigrams(lm_path: str, checkpoint: Path | None) -> tuple[tuple[str, ...] | None, str]:
    """From the ARPA itself, else from the checkpoint's unigrams.txt, else None."""
    if is_arpa(lm_path):
        return read_arpa_unigrams(lm_path), lm_path
    if checkpoint is not None and (checkpoint / UNIGRAMS_FILE).is_file():
        path = checkpoint / UNIGRAMS_FILE
        words = [w.strip() for w in path.read_text(encoding="utf-8").splitlines() if w.strip()]
        return tuple(words), str(path)
    return None, ""


def lm_notes(lm_path: str, vocab: Vocab, checkpoint: Path | None) -> tuple[tuple[str, ...] | None, list[str]]:
    """The LM's word list (or None) and the warnings about it."""
    unigrams, source = find_unigrams(lm_path, checkpoint)
    if unigrams is None:
        return None, [f"no unigram list for {lm_path} (a binary LM, and no {UNIGRAMS_FILE} in the "
                      f"checkpoint): words are scored without one, which can cost accuracy"]
    return unigrams, lm_vocab_warnings(unigrams, vocab, source)


def lm_vocab_warnings(unigrams: tuple[str, ...], vocab: Vocab, source: str) -> list[str]:
    """A warning when many LM words use characters that the model's vocabulary cannot produce."""
    emit = {ch for tok in _emittable(vocab.units, vocab.blank_id) for ch in tok}
    bad = [w for w in unigrams if not set(w) <= emit]
    if not unigrams or len(bad) / len(unigrams) <= LM_MISMATCH_FRACTION:
        return []
    chars = sorted({ch for w in bad for ch in w} - emit)[:8]
    return [f"the LM does not match the model's vocabulary: {len(bad)}/{len(unigrams)} words in {source} use "
            f"characters the model cannot emit ({' '.join(chars)}); check casing and normalisation, or, for "
            f"phoneme models, build the LM from manifest units (sshr lm build --field units)"]


def spellable(word: str, vocab: Vocab) -> tuple[str, ...] | None:
    """A word in the model's units (longest match first), or None when the model cannot emit it."""
    units = split_word_units(word, vocab)
    return units if set(units) <= _emittable(vocab.units, vocab.blank_id) else None


@lru_cache(maxsize=8)
def _emittable(units: tuple[str, ...], blank_id: int) -> frozenset[str]:
    return frozenset(units) - {units[blank_id], UNK_TOKEN, "[UNK]", WORD_SEPARATOR}
