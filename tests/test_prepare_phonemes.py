"""Phoneme units: espeak-ng voices per language, one token per phone, `|` between words, cached."""

from __future__ import annotations

import pytest

from sshr_cli.errors import ConfigError
from sshr_cli.text import phonemes
from sshr_cli.text.phonemes import PhonemeCache, espeak_voice, phonemize, to_units


@pytest.mark.parametrize("text,lang,expected", [
    ("cat", "en", ["k", "æ", "t"]),
    ("church", "en", ["tʃ", "ɜː", "tʃ"]),  # affricates are one token each
    ("ich", "de", ["ɪ", "ç"]),
    ("bonjour", "fr", ["b", "ɔ̃", "ʒ", "u", "ʁ"]),  # the nasal vowel is one token
])
def test_known_words_give_their_phones(text, lang, expected):
    assert phonemize([text], lang) == [expected]


def test_words_are_separated_and_stress_is_gone():
    [units] = phonemize(["hello world"], "en")
    assert units == ["h", "ə", "l", "oʊ", "|", "w", "ɜː", "l", "d"]
    assert not any(mark in u for u in units for mark in "ˈˌ")


def test_batch_keeps_order_and_empty_texts():
    out = phonemize(["ja", "", "nein"], "de")
    assert out[1] == [] and out[0] != out[2] and len(out) == 3


def test_separator_rules():
    assert to_units(" | h a |  | j o | ") == ["h", "a", "|", "j", "o"]


@pytest.mark.parametrize("lang,voice", [("en", "en-us"), ("sv-SE", "sv"), ("deu", "de"), ("fr", "fr-fr"),
                                        ("zh-CN", "cmn"), ("pt", "pt")])
def test_voice_for_common_voice_and_iso3_codes(lang, voice):
    assert espeak_voice(lang) == voice


def test_language_without_voice_names_the_chars_fix():
    with pytest.raises(ConfigError, match="--units chars"):
        espeak_voice("xx-nowhere")


def test_cache_skips_espeak_on_the_second_call(tmp_path, monkeypatch):
    cache_file = tmp_path / "en.phonemes.json"
    first = PhonemeCache(cache_file, "en").units(["good day", "cat"])
    monkeypatch.setattr(phonemes, "phonemize", lambda *a, **k: pytest.fail("espeak-ng called again"))
    assert PhonemeCache(cache_file, "en").units(["cat", "good day"]) == [first[1], first[0]]


def test_prepare_phonemises_each_unique_sentence_once(tmp_path, monkeypatch):
    """Common Voice repeats sentences across clips: 12 clips, 3 sentences (two spellings of one,
    which normalise alike) -> espeak-ng sees each normalised sentence once, in one batch."""
    from helpers_prepare import make_cv_lang
    from sshr_cli.data.commonvoice import commonvoice_source
    from sshr_cli.data.prepare import PrepareOptions, prepare
    from sshr_cli.io import read_jsonl

    sentences = ["Good day.", "good day", "The cat sat.", "A dog ran!"]
    train = [(f"c{i}.mp3", sentences[i % 4], 1.0) for i in range(12)]
    make_cv_lang(tmp_path / "cv" / "en", {"train": train, "dev": train[:2], "test": train[2:4]})
    calls = []
    real = phonemes.phonemize
    monkeypatch.setattr(phonemes, "phonemize", lambda texts, lang: calls.append(list(texts)) or real(texts, lang))
    prepare(commonvoice_source(tmp_path / "cv" / "en"), PrepareOptions(tmp_path / "out", "phonemes", jobs=2))
    assert len(calls) == 1 and sorted(calls[0]) == ["a dog ran", "good day", "the cat sat"]
    rows = read_jsonl(tmp_path / "out" / "en" / "train.jsonl")
    assert len(rows) == 12 and len({r["units"] for r in rows}) == 3  # every clip got its sentence's units
