"""CTC beam search with KenLM shallow fusion, through pyctcdecode or flashlight (imported lazily).

    spec = BeamSpec.create(vocab, BeamOptions(lm_path="lm.arpa"), checkpoint_dir)
    decoder = spec.build()                 # in this process
    hyps = decoder.decode(log_probs)       # [T, V] -> n-best list of Hypothesis
    with BeamPool(spec, workers=4) as pool:  # or in worker processes, spawn-safe
        future = pool.submit(log_probs)

pyctcdecode only parallelises with fork pools and silently decodes sequentially under spawn
(its issue #65). BeamPool builds the decoder once in each worker through the pool's
initializer, so it works the same under fork, forkserver and spawn.

`BeamOptions.backend` picks the search: "pyctcdecode" (hotwords, any LM), "flashlight"
(flashlight-text's C++ decoder, decode/flashlight.py; no hotwords, needs the LM's word list)
or "auto": flashlight when it is installed and can do the job, else pyctcdecode.

Runs of frames on which the search can only extend every beam by the same single token
(the blank, most often) are merged before the search: this shifts every beam's score by the
same amount, so the result is unchanged, and trained CTC models make most frames like that.
"""

from __future__ import annotations

import contextlib
import logging
import os
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from sshr_cli.constants import (BLANK_ID, DEFAULT_ALPHA, DEFAULT_BEAM_WIDTH, DEFAULT_BETA,
                                DEFAULT_HOTWORD_WEIGHT, UNK_TOKEN, WORD_SEPARATOR)
from sshr_cli.decode.greedy import split_word_units
from sshr_cli.decode.result import Hypothesis
from sshr_cli.errors import ConfigError, DataError, require
from sshr_cli.runs import UNIGRAMS_FILE  # in a checkpoint folder: training-text words, most frequent first
from sshr_cli.text.vocab import Vocab

TOKEN_MIN_LOGP = -5.0  # natural log; tokens below this on a frame are not expanded (pyctcdecode's default)
BEAM_PRUNE_LOGP = -10.0  # natural log; beams this far below the best are dropped (pyctcdecode's default)
UNK_SCORE_OFFSET = -10.0  # natural log; penalty for words outside the LM's unigrams (pyctcdecode's default)
LM_MISMATCH_FRACTION = 0.2  # warn when more LM words than this use characters the model cannot emit
ARPA_MAGIC = "\\data\\"
DEFAULT_START_METHOD = "spawn"  # works on every platform; fork is unsafe once torch has threads
PYCTCDECODE_HINT = "lm"
FLASHLIGHT_MODULE = "flashlight.lib.text"  # flashlight-text: the C++ decoder torchaudio's ctc_decoder wraps
FLASHLIGHT_HINT = "lm"
BACKENDS = ("auto", "pyctcdecode", "flashlight")


@dataclass(frozen=True)
class BeamOptions:
    lm_path: str | None = None  # ARPA or KenLM binary
    alpha: float = DEFAULT_ALPHA  # LM weight
    beta: float = DEFAULT_BETA  # word insertion bonus
    beam_width: int = DEFAULT_BEAM_WIDTH
    hotwords: tuple[str, ...] = ()
    hotword_weight: float = DEFAULT_HOTWORD_WEIGHT
    nbest: int = 1
    workers: int | None = None  # decoding processes; 0 = in this process; None = all cores (pyctcdecode), 0 (flashlight)
    start_method: str = DEFAULT_START_METHOD
    backend: str = "auto"  # one of BACKENDS

    def check(self) -> None:
        check_backend(self.backend)
        if self.beam_width < 1:
            raise ConfigError(f"--beam-width must be at least 1, got {self.beam_width}")
        if self.nbest < 1 or self.nbest > self.beam_width:
            raise ConfigError(f"--nbest must be between 1 and --beam-width ({self.beam_width}), got {self.nbest}")
        if self.lm_path is not None and not Path(self.lm_path).is_file():
            raise ConfigError(f"--lm {self.lm_path}: file not found (build one with `sshr lm build`)")


def check_backend(name: str) -> None:
    if name not in BACKENDS:
        raise ConfigError(f"--decoder must be one of {', '.join(BACKENDS)}, got {name!r}")


@dataclass(frozen=True)
class BeamSpec:
    """Everything a worker process needs to build the decoder; small and picklable."""

    labels: tuple[str, ...]
    tokens: tuple[str, ...]
    options: BeamOptions
    unigrams: tuple[str, ...] | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)
    backend: str = "pyctcdecode"  # resolved: never "auto"

    @classmethod
    def create(cls, vocab: Vocab, options: BeamOptions, checkpoint: Path | None = None) -> "BeamSpec":
        options.check()
        unigrams, notes = None, []
        if options.lm_path is not None:
            unigrams, source = find_unigrams(options.lm_path, checkpoint)
            if unigrams is None:
                notes.append(f"no unigram list for {options.lm_path} (a binary LM, and no {UNIGRAMS_FILE} in the "
                             f"checkpoint): words are scored without one, which can cost accuracy")
            else:
                notes += lm_vocab_warnings(unigrams, vocab, source)
        backend, note = pick_backend(options, vocab, unigrams)
        notes += [note] if note else []
        return cls(pyctcdecode_labels(vocab), vocab.tokens, options, unigrams, tuple(notes), backend)

    def build(self):
        """The decoder (BeamDecoder or FlashlightDecoder): `decode(log_probs [T, V]) -> list[Hypothesis]`."""
        if self.backend == "flashlight":
            from sshr_cli.decode.flashlight import FlashlightDecoder

            return FlashlightDecoder(self)
        return BeamDecoder(self)


def flashlight_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec(FLASHLIGHT_MODULE) is not None


def pick_backend(options: BeamOptions, vocab: Vocab, unigrams: tuple[str, ...] | None) -> tuple[str, str | None]:
    """Resolve "auto"; explain a fallback to pyctcdecode, or refuse what flashlight cannot do."""
    if options.backend == "pyctcdecode":
        return "pyctcdecode", None
    reason = flashlight_limit(options, vocab, unigrams)
    if options.backend == "flashlight":
        require(FLASHLIGHT_MODULE, FLASHLIGHT_HINT)
        if reason:
            raise ConfigError(f"--decoder flashlight: {reason}; use --decoder pyctcdecode")
        return "flashlight", None
    if not flashlight_installed():
        return "pyctcdecode", None
    if reason:
        return "pyctcdecode", f"beam search with pyctcdecode: {reason}"
    return "flashlight", None


def flashlight_limit(options: BeamOptions, vocab: Vocab, unigrams: tuple[str, ...] | None) -> str | None:
    """Why flashlight cannot do this search, or None."""
    if options.hotwords:
        return "flashlight has no hotwords"
    if vocab.separator_id is None:
        return f"flashlight needs a word separator {WORD_SEPARATOR!r} in the vocabulary"
    if options.lm_path is not None and unigrams is None:
        return "flashlight needs the LM's word list (a binary LM, and no unigrams.txt in the checkpoint)"
    if options.lm_path is not None and not any(spellable(w, vocab) for w in unigrams):
        return "none of the LM's words can be spelled with the model's units"
    return None


def pyctcdecode_labels(vocab: Vocab) -> tuple[str, ...]:
    """Our vocab -> pyctcdecode's alphabet: blank '', separator ' ', unk '⁇'."""
    labels = list(vocab.tokens)
    labels[BLANK_ID] = ""
    if vocab.separator_id is not None:
        labels[vocab.separator_id] = " "
    if UNK_TOKEN in labels:
        labels[labels.index(UNK_TOKEN)] = "⁇"
    return tuple(labels)


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


def lm_vocab_warnings(unigrams: tuple[str, ...], vocab: Vocab, source: str) -> list[str]:
    """A warning when many LM words use characters that the model's vocabulary cannot produce."""
    emit = {ch for tok in vocab.tokens[1:] if tok not in (UNK_TOKEN, WORD_SEPARATOR) for ch in tok}
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
    return units if set(units) <= _emittable(tuple(vocab.tokens)) else None


@lru_cache(maxsize=8)
def _emittable(tokens: tuple[str, ...]) -> frozenset[str]:
    return frozenset(tokens) - {tokens[BLANK_ID], UNK_TOKEN, WORD_SEPARATOR}


@contextlib.contextmanager
def _quiet(logger_name: str = "pyctcdecode"):
    """pyctcdecode logs notes and warnings we replace with our own; silence it, then restore."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


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


class BeamDecoder:
    def __init__(self, spec: BeamSpec):
        require("pyctcdecode", PYCTCDECODE_HINT)
        from pyctcdecode.alphabet import Alphabet
        from pyctcdecode.decoder import BeamSearchDecoderCTC

        self.spec, self.options = spec, spec.options
        self.vocab = Vocab(spec.tokens)
        with _quiet():
            alphabet = Alphabet.build_alphabet(list(spec.labels))
            self._decoder = BeamSearchDecoderCTC(alphabet, self._language_model())

    def _language_model(self):
        if self.options.lm_path is None:
            return None
        kenlm = require("kenlm", PYCTCDECODE_HINT)
        from pyctcdecode.language_model import LanguageModel

        config = kenlm.Config()
        config.arpa_complain = kenlm.ARPALoadComplain.NONE
        config.show_progress = False
        try:
            model = kenlm.Model(str(self.options.lm_path), config)
        except (OSError, RuntimeError) as exc:
            raise DataError(f"--lm {self.options.lm_path}: KenLM cannot read it ({str(exc).splitlines()[0]})") from exc
        return LanguageModel(model, self.spec.unigrams, alpha=self.options.alpha, beta=self.options.beta,
                             unk_score_offset=UNK_SCORE_OFFSET)

    def decode(self, log_probs: np.ndarray) -> list[Hypothesis]:
        """[T, V] log-probabilities -> up to `nbest` hypotheses, best first, frames in the input's indexing."""
        if log_probs.ndim != 2 or log_probs.shape[1] != len(self.spec.labels):
            raise ConfigError(f"beam search needs logits of shape (time, {len(self.spec.labels)}), got {log_probs.shape}")
        kept, starts, ends = merge_static_frames(np.asarray(log_probs, dtype=np.float32))
        with _quiet():
            beams = self._decoder.decode_beams(
                kept, beam_width=self.options.beam_width, beam_prune_logp=BEAM_PRUNE_LOGP,
                token_min_logp=TOKEN_MIN_LOGP, hotwords=list(self.options.hotwords) or None,
                hotword_weight=self.options.hotword_weight)
        return [self._hypothesis(b, starts, ends) for b in beams[: self.options.nbest]]

    def _hypothesis(self, beam, starts: np.ndarray, ends: np.ndarray) -> Hypothesis:
        _text, _state, word_frames, _logit_score, score = beam
        words = tuple((w, int(starts[s]), int(ends[max(e, s + 1) - 1])) for w, (s, e) in word_frames)
        units: list[str] = []
        for i, (word, _, _) in enumerate(words):
            units += ([WORD_SEPARATOR] if i else []) + list(split_word_units(word, self.vocab))
        return Hypothesis(tuple(units), words, float(score))


# ---- process pool, spawn-safe: the decoder is built once per worker by the initializer
_WORKER_DECODER: BeamDecoder | None = None


def _init_worker(spec: BeamSpec) -> None:
    global _WORKER_DECODER
    _WORKER_DECODER = spec.build()


def _decode_in_worker(log_probs: np.ndarray) -> list[Hypothesis]:
    return _WORKER_DECODER.decode(log_probs)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def auto_workers(spec: BeamSpec) -> int:
    """flashlight decodes thousands of times faster than real time in one process, so a pool's
    start-up (seconds under spawn) costs more than it saves; pyctcdecode gets every core."""
    return 0 if spec.backend == "flashlight" else default_workers()


class BeamPool:
    """`submit(log_probs) -> Future[list[Hypothesis]]`; workers=0 decodes in this process."""

    def __init__(self, spec: BeamSpec, workers: int | None = None):
        self.workers = auto_workers(spec) if workers is None else workers
        self._local = spec.build() if self.workers == 0 else None
        self._pool = None if self._local else ProcessPoolExecutor(
            self.workers, mp_context=get_context(spec.options.start_method),
            initializer=_init_worker, initargs=(spec,))

    def submit(self, log_probs: np.ndarray) -> Future:
        if self._pool is not None:
            return self._pool.submit(_decode_in_worker, log_probs)
        future: Future = Future()
        try:
            future.set_result(self._local.decode(log_probs))
        except Exception as exc:  # handed to the caller through the future, as a pool would
            future.set_exception(exc)
        return future

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "BeamPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
