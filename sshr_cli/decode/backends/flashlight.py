"""CTC beam search with KenLM through flashlight-text's C++ decoder (the one torchaudio's
`ctc_decoder` wraps), built from the same `BeamSpec` as the pyctcdecode backend.

With an LM the search is lexicon-based: the lexicon is the LM's unigrams (or the checkpoint's
unigrams.txt), spelled in the model's units, each followed by the word separator, so that
like pyctcdecode's unigram-constrained search it only emits known words. (flashlight's
lexicon-free mode scores a word LM token by token, which is meaningless for a word n-gram.)
Without an LM it is a lexicon-free search with no LM. No hotwords.

The option scales match pyctcdecode's: KenLM scores are log10 and flashlight uses them as
they are, where pyctcdecode converts to natural log first, so lm_weight = alpha * ln 10;
word_score = beta. Tokens below pyctcdecode's `token_min_logp` (except each frame's best)
are floored so that flashlight does not expand them either, which also makes the
static-frame merge exact here. We use flashlight-text's classes directly rather than
`torchaudio.models.decoder.ctc_decoder`: importing torchaudio costs each spawned worker
seconds and most of a gigabyte; the decoder is the same.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys

import numpy as np

from sshr_cli.constants import UNK_TOKEN, WORD_SEPARATOR
from sshr_cli.decode.backends.base import Backend, BeamOptions, BeamSpec
from sshr_cli.decode.backends.common import (BEAM_PRUNE_LOGP, TOKEN_MIN_LOGP, UNIGRAMS_FILE, check_logits,
                                             kenlm_error, merge_static_frames, spellable)
from sshr_cli.decode.greedy import collapse
from sshr_cli.decode.result import Hypothesis
from sshr_cli.errors import DataError
from sshr_cli.text.vocab import Vocab

FLOOR_LOGP = -1e4  # natural log; what floored tokens get: far below any beam threshold
LOG10_TO_LN = math.log(10)  # KenLM scores are log10; alpha weighs natural-log scores (pyctcdecode)


@contextlib.contextmanager
def _quiet_stderr():
    """KenLM's C++ loader prints progress bars on file descriptor 2; hide them, then restore."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def lexicon(unigrams: tuple[str, ...], vocab: Vocab) -> dict[str, tuple[str, ...]]:
    """LM words -> their spelling in the model's units; words the model cannot spell are left out."""
    spelled = {w: spellable(w, vocab) for w in unigrams}
    return {w: units for w, units in spelled.items() if units}


def floor_unlikely(log_probs: np.ndarray, min_logp: float = TOKEN_MIN_LOGP) -> np.ndarray:
    """Tokens below min_logp, except each frame's best, get FLOOR_LOGP: pyctcdecode does not expand them."""
    best = log_probs.max(axis=1, keepdims=True)  # [T, 1]
    return np.where((log_probs >= min_logp) | (log_probs == best), log_probs, FLOOR_LOGP).astype(np.float32)


class FlashlightBackend(Backend):
    name = "flashlight"
    auto_rank = 2  # preferred by "auto" when installed and able
    module = "flashlight.lib.text"  # flashlight-text: the C++ decoder torchaudio's ctc_decoder wraps
    in_process = True  # thousands of times faster than real time in one process

    @classmethod
    def limit(cls, options: BeamOptions, vocab: Vocab, unigrams: tuple[str, ...] | None) -> str | None:
        if options.hotwords:
            return "flashlight has no hotwords"
        if vocab.separator_id is None:
            return f"flashlight needs a word separator {WORD_SEPARATOR!r} in the vocabulary"
        if options.lm_path is not None and unigrams is None:
            return f"flashlight needs the LM's word list (a binary LM, and no {UNIGRAMS_FILE} in the checkpoint)"
        if options.lm_path is not None and not any(spellable(w, vocab) for w in unigrams):
            return "none of the LM's words can be spelled with the model's units"
        return None

    def __init__(self, spec: BeamSpec):
        self.require()
        self.spec, self.options = spec, spec.options
        self.vocab = spec.vocab
        self.sil = self.vocab.separator_id
        from flashlight.lib.text.dictionary import Dictionary

        self._tokens = Dictionary(list(self.vocab.units))  # flashlight ids = our vocab ids
        self._decoder = self._lexicon_decoder() if self.options.lm_path else self._free_decoder()

    def _weights(self) -> dict:
        return dict(beam_size=self.options.beam_width, beam_size_token=len(self.spec.tokens),
                    beam_threshold=-BEAM_PRUNE_LOGP, lm_weight=self.options.alpha * LOG10_TO_LN,
                    sil_score=0.0, log_add=False)

    def _free_decoder(self):
        from flashlight.lib.text.decoder import (CriterionType, LexiconFreeDecoder, LexiconFreeDecoderOptions,
                                                 ZeroLM)

        self._lm = ZeroLM()  # kept alive: the C++ decoder holds only a reference (pytorch/audio#3218)
        options = LexiconFreeDecoderOptions(**self._weights(), criterion_type=CriterionType.CTC)
        return LexiconFreeDecoder(options, self._lm, self.sil, self.vocab.blank_id, [])

    def _lexicon_decoder(self):
        from flashlight.lib.text.decoder import CriterionType, LexiconDecoder, LexiconDecoderOptions
        from flashlight.lib.text.dictionary import Dictionary

        words = lexicon(self.spec.unigrams or (), self.vocab)
        if not words:
            raise DataError(f"--lm {self.options.lm_path}: none of its words can be spelled with the model's "
                            f"units; use --decoder pyctcdecode, or build the LM from matching text")
        self._words = Dictionary(list(words) + [UNK_TOKEN])
        self._lm = self._kenlm()
        options = LexiconDecoderOptions(**self._weights(), word_score=self.options.beta, unk_score=-math.inf,
                                        criterion_type=CriterionType.CTC)
        return LexiconDecoder(options, self._trie(words), self._lm, self.sil, self.vocab.blank_id,
                              self._words.get_index(UNK_TOKEN), [], False)

    def _kenlm(self):
        from flashlight.lib.text.decoder.kenlm import KenLM

        try:
            with _quiet_stderr():
                return KenLM(str(self.options.lm_path), self._words)
        except (OSError, RuntimeError) as exc:
            raise kenlm_error(self.options.lm_path, exc) from exc

    def _trie(self, words: dict[str, tuple[str, ...]]):
        """Each word spelled in units plus the separator; nodes carry the best unigram score below them."""
        from flashlight.lib.text.decoder import SmearingMode, Trie

        trie, start = Trie(len(self.spec.tokens), self.sil), self._lm.start(False)
        for word, units in words.items():
            index = self._words.get_index(word)
            _, score = self._lm.score(start, index)
            trie.insert([self._tokens.get_index(u) for u in units] + [self.sil], index, score)
        trie.smear(SmearingMode.MAX)
        return trie

    def decode(self, log_probs: np.ndarray) -> list[Hypothesis]:
        """[T, V] log-probabilities -> up to `nbest` distinct hypotheses, best first, frames as in the input."""
        kept, starts, ends = merge_static_frames(floor_unlikely(check_logits(log_probs, len(self.spec.tokens))))
        emissions = np.ascontiguousarray(np.vstack([kept, self._separator_frame()]))  # [K + 1, V]
        results = self._decoder.decode(emissions.ctypes.data, *emissions.shape)
        hyps: dict[tuple[str, ...], Hypothesis] = {}
        for result in results:
            frame_ids = np.asarray(result.tokens[1:-2])  # [K]: drop the start/end padding and our extra frame
            hyp = collapse(np.repeat(frame_ids, ends - starts), self.vocab, float(result.score))
            hyps.setdefault(hyp.units, hyp)
            if len(hyps) == self.options.nbest:
                break
        return list(hyps.values())

    def _separator_frame(self) -> np.ndarray:
        """A certain word separator after the last frame: the last word ends like every other ([1, V])."""
        frame = np.full((1, len(self.spec.tokens)), FLOOR_LOGP, dtype=np.float32)
        frame[0, self.sil] = 0.0
        return frame
