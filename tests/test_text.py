import pytest

from sshr_cli.errors import CheckpointError
from sshr_cli.text import Vocab, normalize
from sshr_cli.text.units import text_to_chars, units_to_text


@pytest.mark.parametrize(
    "raw, lang, expected",
    [
        ("Hello, World!", "en", "hello world"),
        ("Don’t stop — it's 'quoted'.", "en", "don't stop it's quoted"),
        ("L'eau est froide, n'est-ce pas ?", "fr", "l'eau est froide n'est ce pas"),
        ("Die Straße ist GROSS.", "de", "die straße ist gross"),
        ("Ｆｕｌｌ　ｗｉｄｔｈ", "en", "full width"),
        ("  many \t  spaces\n", "en", "many spaces"),
        ("ISTANBUL İzmir", "tr", "ıstanbul izmir"),
        ("don't", "de", "don t"),  # German does not keep apostrophes inside words
        ("नमस्ते दुनिया।", "hi", "नमस्ते दुनिया"),  # marks kept, danda removed
        ("", "en", ""),
    ],
)
def test_normalize(raw, lang, expected):
    assert normalize(raw, lang) == expected


def test_chars_round_trip():
    units = text_to_chars("hi yo")
    assert units == ["h", "i", "|", "y", "o"]
    assert units_to_text(units) == "hi yo"
    assert units_to_text("h i | y o") == "hi yo"


def test_vocab_specials_first_and_unknowns_mapped(tmp_path):
    vocab = Vocab.build([["b", "a"], ["a", "|", "c"]])
    assert vocab.tokens[:3] == ("<pad>", "<unk>", "|")
    assert vocab.tokens[3:] == ("a", "b", "c")
    assert vocab.encode(["a", "z"]) == [3, vocab.unk_id]
    assert vocab.count_unknown(["a", "z", "y"]) == 2
    vocab.save(tmp_path / "vocab.json")
    assert Vocab.load(tmp_path) == vocab


def test_vocab_finds_the_blank_or_says_how_to_name_it(tmp_path):
    assert Vocab.from_mapping({"a": 0, "<pad>": 1}).blank_id == 1
    assert Vocab.from_mapping({"a": 0, "x": 1}, pad_token_id=1).blank_id == 1
    with pytest.raises(CheckpointError, match="which token is the CTC blank"):
        Vocab.from_mapping({"a": 0, "b": 1})
    with pytest.raises(CheckpointError, match="no vocab.json"):
        Vocab.load(tmp_path)


def test_prepared_langs_skips_state_folders(tmp_path):
    from sshr_cli.data.manifest import prepared_langs

    for name in ("en", "de", ".prepare"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "train.jsonl").write_text("")
    (tmp_path / "empty").mkdir()
    assert prepared_langs(tmp_path) == ["de", "en"]


def test_atomic_writes_get_ordinary_permissions(tmp_path):
    import os
    import stat

    from sshr_cli.io import write_text

    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644
