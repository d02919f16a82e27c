"""Phoneme targets from phonemizer + espeak-ng, with the language's own espeak voice.

Token rules (the model's phoneme units):
- One token per phone as espeak-ng segments it: an affricate (`tʃ`, `dʒ`, `ts`), a diphthong
  (`aɪ`, `oʊ`), a nasal vowel (`ɔ̃`) or a long vowel (`uː`) is ONE token; length marks and
  combining diacritics stay on their phone.
- Stress marks are removed (`with_stress=False`); no tie bars are written.
- `|` (WORD_SEPARATOR) stands between words, never at the start or end. espeak joins some
  function words to their neighbour ("on the" -> one word), so the number of `|` can be
  smaller than in the text; that is espeak's word segmentation, kept as it is.
- When espeak switches voice for a foreign word, its language flags are removed.
- Text goes in already normalised (sshr_cli.text.normalize): digits are read by espeak in
  the language ("42" -> "forty-two" phones).

Voices: a Common Voice locale (`en`, `sv-SE`, `zh-CN`) or an ISO 639-3 code (`eng`, `deu`,
as in ML-SUPERB) is mapped to an espeak-ng voice; see `espeak_voice`.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from sshr_cli.constants import WORD_SEPARATOR
from sshr_cli.errors import ConfigError
from sshr_cli.io import write_json

# Preferred voice where espeak-ng has several (or names it differently from Common Voice / ISO 639-3).
VOICE_ALIASES = {
    "en": "en-us", "fr": "fr-fr", "zh": "cmn", "zh-cn": "cmn", "zh-tw": "cmn", "zh-hk": "yue",
    "nn-no": "nb", "nb-no": "nb", "pt-br": "pt-br", "es-419": "es-419",
    "eng": "en-us", "deu": "de", "fra": "fr-fr", "spa": "es", "ita": "it", "nld": "nl",
    "pol": "pl", "swe": "sv", "por": "pt", "rus": "ru", "ukr": "uk", "lit": "lt", "dan": "da",
    "tur": "tr", "vie": "vi", "kaz": "kk", "srp": "sr", "bos": "bs", "epo": "eo", "zul": "zu",
    "tsn": "tn", "cmn": "cmn", "jpn": "ja", "kor": "ko", "ara": "ar", "hin": "hi",
    "ben": "bn", "fin": "fi", "ces": "cs", "ell": "el", "hun": "hu", "ron": "ro", "cat": "ca",
    "eus": "eu", "glg": "gl", "cym": "cy", "gle": "ga", "isl": "is", "lav": "lv", "est": "et",
    "slk": "sk", "slv": "sl", "hrv": "hr", "bul": "bg", "mkd": "mk", "fas": "fa", "urd": "ur",
    "tam": "ta", "tel": "te", "mar": "mr", "guj": "gu", "kan": "kn", "mal": "ml", "pan": "pa",
    "swa": "sw", "ind": "id", "msa": "ms", "heb": "he", "kat": "ka", "hye": "hy",
}
PHONE_SEPARATOR = " "
CACHE_SUFFIX = ".phonemes.json"


@lru_cache(maxsize=1)
def supported_voices() -> frozenset[str]:
    backend = _backend_class()
    return frozenset(backend.supported_languages())


def _backend_class():
    from sshr_cli.errors import require

    require("phonemizer", "phonemes")
    from phonemizer.backend import EspeakBackend

    try:
        EspeakBackend.version()
    except RuntimeError as exc:
        from sshr_cli.errors import MissingDependencyError

        raise MissingDependencyError(
            f"espeak-ng is not usable by phonemizer ({exc}); install it with: sudo apt-get install espeak-ng"
        ) from exc
    return EspeakBackend


def espeak_voice(lang: str) -> str:
    """'en' -> 'en-us', 'sv-SE' -> 'sv', 'deu' -> 'de'; ConfigError if espeak-ng has no voice."""
    voices = supported_voices()
    key = lang.replace("_", "-").lower()
    base = key.split("-")[0]
    for candidate in (VOICE_ALIASES.get(key, key), key, VOICE_ALIASES.get(base, base), base):
        if candidate and candidate in voices:
            return candidate
    raise ConfigError(f"espeak-ng has no voice for language '{lang}'; prepare it with --units chars")


@lru_cache(maxsize=None)
def _backend(voice: str):
    backend = _backend_class()
    quiet = logging.getLogger("sshr.phonemizer")
    quiet.setLevel(logging.ERROR)
    return backend(voice, preserve_punctuation=False, with_stress=False, tie=False,
                   language_switch="remove-flags", words_mismatch="ignore", logger=quiet)


def to_units(phonemized: str) -> list[str]:
    """'h ə l oʊ | w ɜː l d ' -> ['h', 'ə', 'l', 'oʊ', '|', 'w', 'ɜː', 'l', 'd'] (no edge or double |)."""
    units: list[str] = []
    for token in phonemized.split():
        if token == WORD_SEPARATOR and (not units or units[-1] == WORD_SEPARATOR):
            continue
        units.append(token)
    while units and units[-1] == WORD_SEPARATOR:
        units.pop()
    return units


def phonemize(texts: Sequence[str], lang: str) -> list[list[str]]:
    """Normalised texts -> phone units, one batched espeak-ng call for the whole list."""
    from phonemizer.separator import Separator

    if not texts:
        return []
    backend = _backend(espeak_voice(lang))
    separator = Separator(phone=PHONE_SEPARATOR, word=f" {WORD_SEPARATOR} ", syllable=None)
    lines = backend.phonemize([t.replace("\n", " ") for t in texts], separator=separator, strip=True, njobs=1)
    return [to_units(line) for line in lines]


class PhonemeCache:
    """text -> units for one language, kept on disk so re-runs skip espeak-ng."""

    def __init__(self, path: Path, lang: str):
        self.path, self.lang = Path(path), lang
        self.voice = espeak_voice(lang)
        self.table: dict[str, str] = {}
        if self.path.is_file():
            try:
                saved = json.loads(self.path.read_text(encoding="utf-8"))
            except ValueError:
                saved = {}
            saved = saved if isinstance(saved, dict) else {}
            if saved.get("voice") == self.voice:
                self.table = saved.get("units", {})

    def units(self, texts: Sequence[str]) -> list[list[str]]:
        todo = sorted({t for t in texts if t not in self.table})
        if todo:
            for text, units in zip(todo, phonemize(todo, self.lang)):
                self.table[text] = " ".join(units)
            write_json(self.path, {"voice": self.voice, "units": self.table}, indent=None)
        return [self.table[t].split() for t in texts]
