import pytest
from typer.testing import CliRunner

from sshr_cli.cli import app
from sshr_cli.errors import ConfigError, DataError
from sshr_cli.io import write_jsonl
from sshr_cli.lm import LMOptions, arpa_counts, build_lm

CORPUS = ["bugs bunny is a rabbit", "the bunny eats carrots", "bugs bunny eats"]


@pytest.fixture()
def manifest(tmp_path):
    rows = [{"id": str(i), "audio_filepath": "/a.wav", "duration": 1.0, "text": t, "lang": "en",
             "units": " | ".join(" ".join(w) for w in t.split())} for i, t in enumerate(CORPUS)]
    write_jsonl(tmp_path / "train.jsonl", rows)
    return tmp_path / "train.jsonl"


def test_arpa_from_a_manifest_loads_and_scores_in_kenlm(manifest, tmp_path):
    import kenlm

    report = build_lm([manifest], tmp_path / "lm.arpa", LMOptions(order=3))
    assert (report.sentences, report.words, report.vocab) == (3, 12, 8)
    assert report.ngrams == arpa_counts(tmp_path / "lm.arpa") and set(report.ngrams) == {1, 2, 3}
    lm = kenlm.Model(str(tmp_path / "lm.arpa"))
    assert lm.order == 3
    assert lm.score("bugs bunny eats") > lm.score("eats bunny bugs")  # seen order beats shuffled
    assert lm.score("zebra", bos=False, eos=False) == pytest.approx(-100.0)  # the <unk> we wrote


def test_plain_text_is_normalised(tmp_path):
    (tmp_path / "c.txt").write_text("Bugs Bunny, is a RABBIT!\n\n", encoding="utf-8")
    build_lm([tmp_path / "c.txt"], tmp_path / "lm.arpa", LMOptions(order=2))
    text = (tmp_path / "lm.arpa").read_text(encoding="utf-8")
    assert "\tbugs bunny\t" in text or "\tbugs bunny\n" in text
    assert "RABBIT" not in text and "," not in text


def test_phone_level_lm_from_units(manifest, tmp_path):
    build_lm([manifest], tmp_path / "ph.arpa", LMOptions(field="units"))
    assert "\tbunny" in (tmp_path / "ph.arpa").read_text(encoding="utf-8")  # units joined within words


def test_pruning_keeps_a_loadable_smaller_model(manifest, tmp_path):
    import kenlm

    full = build_lm([manifest], tmp_path / "full.arpa").ngrams
    pruned = build_lm([manifest], tmp_path / "pruned.arpa", LMOptions(prune=1e-2)).ngrams
    assert sum(pruned.values()) < sum(full.values())
    kenlm.Model(str(tmp_path / "pruned.arpa"))


def test_bad_input_is_one_line(tmp_path):
    with pytest.raises(DataError, match="not found"):
        build_lm([tmp_path / "nope.txt"], tmp_path / "lm.arpa")
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(DataError, match="no text"):
        build_lm([tmp_path / "empty.txt"], tmp_path / "lm.arpa")
    with pytest.raises(ConfigError, match="--order"):
        build_lm([tmp_path / "empty.txt"], tmp_path / "lm.arpa", LMOptions(order=9))
    assert not (tmp_path / "lm.arpa").exists()


def test_cli_builds_from_workspace_manifests(manifest, tmp_path, monkeypatch):
    (tmp_path / "data" / "en").mkdir(parents=True)
    manifest.rename(tmp_path / "data" / "en" / "train.jsonl")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["lm", "build", "--order", "2"])
    assert result.exit_code == 0, result.output
    assert "3 sentences" in result.output and "no KenLM binary written" in result.output
    assert (tmp_path / "data" / "lm.arpa").is_file()
