"""The one-call Python API: load a model, transcribe audio.

    import sshr_cli
    model = sshr_cli.load_model("exp/cv_sshr")            # run folder | checkpoint folder | Hub id
    result = model.transcribe("clip.wav")                 # or a float mono numpy array at 16 kHz
    print(result.text, result.language, result.language_probability)
    for w in result.words:
        print(w.text, w.start_s, w.end_s)
    results = model.transcribe_batch(["a.wav", "b.mp3"], lm="lm/en.bin")

The same code path as `sshr decode` (sshr_cli.decode.transcribe), so the transcripts are equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from sshr_cli.decode import DecodeOptions, transcribe
from sshr_cli.decode.backends import BeamOptions
from sshr_cli.decode.result import Transcript, Word
from sshr_cli.errors import ConfigError, DataError

@dataclass(frozen=True)
class Result:
    text: str
    words: tuple[Word, ...] = ()  # each with text, start_s, end_s
    language: str | None = None  # the model's language head (sshr models); None for plain CTC
    language_probability: float | None = None
    source: str = ""  # the file, or "<array N>"
    units: tuple[str, ...] = field(default=(), repr=False)
    error: str | None = None  # transcribe_batch: why this input was skipped

    @classmethod
    def from_transcript(cls, t: Transcript) -> "Result":
        return cls(t.text, tuple(t.words), t.lang, t.lang_prob, t.path, tuple(t.units), t.error)


class Model:
    """A loaded recogniser; `transcribe` one input, `transcribe_batch` many (batched by duration)."""

    def __init__(self, name_or_path: str | Path, device: str = "auto", lang: str | None = None):
        from sshr_cli.hub import load_recognizer
        from sshr_cli.model.inference import resolve_device

        self.name, self.device, self.lang = str(name_or_path), resolve_device(device), lang
        self.recognizer = load_recognizer(name_or_path, device=self.device, lang=lang)

    def transcribe(self, audio, lm: str | Path | None = None, lang: str | None = None, **options) -> Result:
        """One file or wave -> Result; an unreadable input is a DataError."""
        result = self.transcribe_batch([audio], lm=lm, lang=lang, **options)[0]
        if result.error:
            raise DataError(result.error)
        return result

    def transcribe_batch(self, audios: Sequence, lm: str | Path | None = None, lang: str | None = None,
                         **options) -> list[Result]:
        """Many files or waves -> Results in input order; unreadable ones carry `error` (a skip)."""
        self._select_language(lang)
        beam = BeamOptions(lm_path=Path(lm)) if lm is not None else None
        decode_options = DecodeOptions(beam=beam, **options)
        return [Result.from_transcript(t) for t in transcribe(self.recognizer, list(audios), decode_options)]

    def _select_language(self, lang: str | None) -> None:
        """`lang` (else load_model's) forces an SSHR checkpoint's language frame (None: the model's own
        pooled frame), or picks an MMS model's adapter (reloaded when it changes)."""
        lang = lang or self.lang
        if self.recognizer.has_language_frame:
            self.recognizer.force_language(lang)
            return
        if lang is None or lang == self.recognizer.meta.get("adapter", self.lang):
            return
        if "adapter" not in self.recognizer.meta:
            raise ConfigError(f"lang={lang!r}: {self.name} has neither a language frame to force nor MMS "
                              "adapters to choose; leave lang unset")
        from sshr_cli.hub import load_recognizer

        self.recognizer, self.lang = load_recognizer(self.name, device=self.device, lang=lang), lang

def load_model(name_or_path: str | Path, device: str = "auto", lang: str | None = None) -> Model:
    """A run folder (its best/ checkpoint), a checkpoint folder (sshr or HF *ForCTC) or a Hub id;
    device: cpu | cuda | cuda:N | auto; lang: an MMS model's language (adapter and vocabulary)."""
    return Model(name_or_path, device=device, lang=lang)


__all__ = ["Model", "Result", "load_model"]
