"""score_pairs: hand-computed WER/CER/PER, normalisation, empty sides, Unicode/RTL/CJK."""

import pytest

from sshr_cli.errors import ConfigError
from sshr_cli.score import Counts, score_pairs
from sshr_cli.text import normalize


def rate(pairs, unit="word", normalize=True):
    return score_pairs(pairs, unit, normalize).totals


def test_wer_by_hand():
    # "a b c d" -> "a x c d e": 1 sub + 1 ins over 4; "hello world" -> "": 2 del over 2.
    t = rate([("u1", "a b c d", "a x c d e", "en"), ("u2", "hello world", "", "en")])
    assert (t.n, t.corr, t.sub, t.dels, t.ins, t.err) == (6, 3, 1, 2, 1, 4)
    assert t.error_rate == pytest.approx(4 / 6, abs=1e-12)
    assert t.to_dict() == {"n": 6, "corr": 3, "sub": 1, "del": 2, "ins": 1, "err": 4,
                           "error_rate": pytest.approx(0.6666666666666666)}
    assert t["del"] == 2


def test_utterance_counts_and_alignment():
    utt = score_pairs([("u1", "the cat sat", "the hat sat down", "en")]).utterances[0]
    assert utt.counts == Counts(n=3, corr=2, sub=1, dels=0, ins=1)
    assert list(utt.pairs()) == [("the", "the"), ("cat", "hat"), ("sat", "sat"), (None, "down")]


def test_cer_counts_spaces_as_characters():
    # "ab c" has 4 characters; dropping the space is 1 deletion: 1/4.
    assert rate([("u", "ab c", "abc", "en")], "char").error_rate == 0.25
    # kitten -> sitting: 2 substitutions + 1 insertion over 6 characters.
    t = rate([("u", "kitten", "sitting", "en")], "char")
    assert (t.n, t.sub, t.ins, t.dels) == (6, 2, 1, 0) and t.error_rate == 0.5


def test_cer_matches_jiwer_cer_on_the_normalised_strings():
    import jiwer

    ref, hyp = "Hello  there, General Kenobi!", "hello their general kenobi"
    expected = jiwer.cer(normalize(ref, "en"), normalize(hyp, "en"))
    assert rate([("u", ref, hyp, "en")], "char").error_rate == pytest.approx(expected, abs=1e-12)


def test_per_drops_word_separators_and_is_not_normalised():
    # ref phones h ə l oʊ (4); hyp h ɛ l oʊ w: 1 sub + 1 ins -> 0.5. Upper case stays upper case.
    t = rate([("u", "h ə | l oʊ", "h ɛ | l oʊ w", "en")], "phone")
    assert (t.n, t.sub, t.ins, t.dels) == (4, 1, 1, 0) and t.error_rate == 0.5
    assert rate([("u", "A b", "a b", "en")], "phone").sub == 1


def test_normalisation_is_applied_to_both_sides_and_can_be_turned_off():
    pair = [("u", "Hello, World!", "hello world", "en")]
    assert rate(pair).error_rate == 0.0
    assert rate(pair, normalize=False).error_rate == 1.0
    result = score_pairs(pair, normalize=False)
    assert result.normalization.startswith("none")
    assert "normalisation[en]" in score_pairs(pair).normalization


def test_normalisation_is_idempotent_so_prepared_text_scores_the_same():
    for text, lang in [("L'Eau, c'est «bon»!", "fr"), ("Straße  NO. 5", "de"), ("İstanbul'da", "tr")]:
        once = normalize(text, lang)
        assert normalize(once, lang) == once


def test_missing_hypothesis_counts_as_all_deletions():
    result = score_pairs([("u1", "a b c", None, "en"), ("u2", "d", "d", "en")])
    assert result.missing_ids == ("u1",)
    assert (result.totals.dels, result.totals.n, result.totals.error_rate) == (3, 4, 0.75)
    assert result.utterances[0].missing and not result.utterances[1].missing


def test_empty_reference_has_no_rate_but_its_insertions_count():
    result = score_pairs([("u1", "", "x y", "en"), ("u2", "a b", "a b", "en")])
    empty = result.utterances[0]
    assert empty.counts.n == 0 and empty.counts.ins == 2 and empty.counts.error_rate is None
    assert result.totals.error_rate == 1.0  # 2 insertions over 2 reference words
    assert result.empty_ref_ids == ("u1",) and any("empty reference" in n for n in result.notes)


def test_all_references_empty_gives_null_not_zero_division():
    result = score_pairs([("u1", "", "", "en"), ("u2", "", "z", "en")], "char")
    assert result.totals.n == 0 and result.totals.ins == 1
    assert result.summary()["totals"]["error_rate"] is None


def test_by_lang_and_unknown_language():
    result = score_pairs([("a", "x y", "x z", "en"), ("b", "p", "p", "de"), ("c", "q", "r", None)])
    assert list(result.by_lang) == ["de", "en", "und"]
    assert result.by_lang["en"].error_rate == 0.5 and result.by_lang["de"].error_rate == 0.0
    assert result.by_lang["und"].error_rate == 1.0


def test_unicode_rtl_and_fullwidth():
    # Arabic (RTL): one of two words differs; diacritics (marks) are kept, so they count.
    assert rate([("u", "مرحبا بالعالم", "مرحبا بالعالمين", "ar")]).error_rate == 0.5
    assert rate([("u", "שָׁלוֹם עולם", "שלום עולם", "he")]).error_rate == 0.5
    # NFKC folds full-width Latin: ＨＥＬＬＯ == hello.
    assert rate([("u", "ＨＥＬＬＯ", "hello", "en")]).error_rate == 0.0


def test_cjk_cer_and_the_note_about_wer():
    assert rate([("u", "我爱你", "我恨你", "zh")], "char").error_rate == pytest.approx(1 / 3, abs=1e-12)
    word = score_pairs([("u", "我爱你", "我恨你", "zh")], "word")
    assert word.totals.error_rate == 1.0  # one "word": the whole phrase
    assert any("CER" in n and "zh" in n for n in word.notes)
    assert not score_pairs([("u", "我爱你", "我恨你", "zh")], "char").notes


def test_common_errors():
    result = score_pairs([("1", "a b c", "a x", "en"), ("2", "b c", "x c d", "en")])
    subs, dels, ins = result.common_errors()
    assert subs == {("b", "x"): 2} and dels == {"c": 1} and ins == {"d": 1}


def test_bad_unit_is_a_config_error():
    with pytest.raises(ConfigError, match="unit must be one of"):
        score_pairs([("u", "a", "a", "en")], "letter")


def test_summary_schema_is_exact():
    summary = score_pairs([("u", "a b", "a", "en")], "word", split="dev", dataset="commonvoice").summary()
    assert set(summary) == {"metric", "unit", "split", "dataset", "normalization", "totals", "by_lang",
                            "missing_ids", "extra_ids"}
    assert summary["metric"] == "wer" and summary["split"] == "dev" and summary["dataset"] == "commonvoice"
    assert set(summary["totals"]) == {"n", "corr", "sub", "del", "ins", "err", "error_rate"}
    assert summary["by_lang"]["en"]["error_rate"] == 0.5
