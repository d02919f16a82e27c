"""CTC beam search with KenLM shallow fusion through pyctcdecode (imported lazily): hotwords, any LM."""

from __future__ import annotations

import contextlib
import logging

import numpy as np

from sshr_cli.constants import UNK_TOKEN, WORD_SEPARATOR
from sshr_cli.decode.backends.base import Backend, BeamSpec
from sshr_cli.decode.backends.common import (BEAM_PRUNE_LOGP, LM_EXTRA, TOKEN_MIN_LOGP, check_logits, kenlm_error,
                                             merge_static_frames)
from sshr_cli.decode.greedy import split_word_units
from sshr_cli.decode.result import Hypothesis
from sshr_cli.errors import require
from sshr_cli.text.vocab import Vocab

UNK_SCORE_OFFSET = -10.0  # natural log; penalty for words outside the LM's unigrams (pyctcdecode's default)


def pyctcdecode_labels(vocab: Vocab) -> tuple[str, ...]:
    """Our vocab -> pyctcdecode's alphabet: blank '', separator ' ', unk '⁇'."""
    labels = list(vocab.units)
    labels[vocab.blank_id] = ""
    if vocab.separator_id is not None:
        labels[vocab.separator_id] = " "
    for unk in (UNK_TOKEN, "[UNK]"):
        if unk in labels:
            labels[labels.index(unk)] = "⁇"
    return tuple(labels)


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


class PyctcdecodeBackend(Backend):
    name = "pyctcdecode"
    auto_rank = 1  # the fallback: it does everything, slowly
    module = "pyctcdecode"

    def __init__(self, spec: BeamSpec):
        self.require()
        from pyctcdecode.alphabet import Alphabet
        from pyctcdecode.decoder import BeamSearchDecoderCTC

        self.spec, self.options = spec, spec.options
        self.vocab = spec.vocab
        with _quiet():
            alphabet = Alphabet.build_alphabet(list(pyctcdecode_labels(self.vocab)))
            self._decoder = BeamSearchDecoderCTC(alphabet, self._language_model())

    def _language_model(self):
        if self.options.lm_path is None:
            return None
        kenlm = require("kenlm", LM_EXTRA)
        from pyctcdecode.language_model import LanguageModel

        config = kenlm.Config()
        config.arpa_complain = kenlm.ARPALoadComplain.NONE
        config.show_progress = False
        try:
            model = kenlm.Model(str(self.options.lm_path), config)
        except (OSError, RuntimeError) as exc:
            raise kenlm_error(self.options.lm_path, exc) from exc
        return LanguageModel(model, self.spec.unigrams, alpha=self.options.alpha, beta=self.options.beta,
                             unk_score_offset=UNK_SCORE_OFFSET)

    def decode(self, log_probs: np.ndarray) -> list[Hypothesis]:
        """[T, V] log-probabilities -> up to `nbest` hypotheses, best first, frames in the input's indexing."""
        kept, starts, ends = merge_static_frames(check_logits(log_probs, len(self.spec.tokens)))
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
