"""`sshr prepare mlsuperb` on a generated ML-SUPERB tree, and `sshr prepare folder`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sshr_cli.cli import app
from sshr_cli.data.folder import folder_source
from sshr_cli.data.manifest import load_manifest, manifest_path, report_path
from sshr_cli.data.mlsuperb import FEW_SHOT, mlsuperb_source
from sshr_cli.data.prepare import PrepareOptions, prepare
from sshr_cli.data.synthetic_mlsuperb import COUNTS, generate_mlsuperb
from sshr_cli.errors import DataError

from helpers_prepare import tone

runner = CliRunner()


@pytest.fixture(scope="module")
def superb(tmp_path_factory):
    return generate_mlsuperb(tmp_path_factory.mktemp("superb"), langs=("eng", "lit"), datasets=("commonvoice", "fleurs"))


def _lines(path):
    return [line for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("setting", ["10min", "1h"])
def test_protocol_counts(superb, tmp_path, setting):
    out = tmp_path / "d"
    result = runner.invoke(app, ["prepare", "mlsuperb", str(superb), "--setting", setting, "--out", str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    report = json.loads(report_path(out).read_text())
    assert report["units"] == "chars" and report["source"] == "mlsuperb"
    n_train = COUNTS["train_10min"] + (COUNTS["train_1h_extra"] if setting == "1h" else 0)
    eng = report["langs"]["eng"]
    assert eng["train"]["kept"] == 2 * n_train  # two datasets merged into one language
    assert eng["dev"]["kept"] == eng["test"]["kept"] == 2 * COUNTS["dev"]
    lit = report["langs"]["lit"]
    kept_ids = {r["id"] for r in load_manifest(manifest_path(out, "lit", "train"))}
    assert kept_ids == {i for i in FEW_SHOT["lit"] if i.startswith(("cv_", "fleurs_"))}
    assert lit["train"]["dropped"] == {"few_shot_protocol": 4}  # two extra ids in each dataset
    assert lit["dev"]["kept"] == 2 * COUNTS["dev"]


def test_without_few_shot_rule_all_train_clips_stay(superb, tmp_path):
    result = prepare(mlsuperb_source(superb, ["lit"], few_shot=False), PrepareOptions(tmp_path, "chars", jobs=1))
    assert result.report["langs"]["lit"]["train"]["kept"] == 7


def test_phonemes_for_iso3_codes(superb, tmp_path):
    prepare(mlsuperb_source(superb, ["eng"]), PrepareOptions(tmp_path, "phonemes", jobs=1))
    row = load_manifest(manifest_path(tmp_path, "eng", "dev"))[0]
    assert "|" in row["units"].split() and all(len(u) <= 4 for u in row["units"].split())


def test_train_over_20s_dropped_dev_kept_and_malformed_line_counted(tmp_path):
    pair = tmp_path / "ms" / "voxforge" / "xyz"
    tone(pair / "wav" / "a.wav", 1.0), tone(pair / "wav" / "long.wav", 20.5)
    (pair / "transcript_10min_train.txt").write_text("a A hello there\nlong A a very long one\nlonely\nb A\n")
    (pair / "transcript_10min_dev.txt").write_text("long A a very long one\n")
    (pair / "transcript_10min_test.txt").write_text("a A hello there\n")
    report = prepare(mlsuperb_source(tmp_path / "ms"), PrepareOptions(tmp_path / "o", "chars", jobs=1)).report
    train = report["langs"]["xyz"]["train"]
    assert train["kept"] == 1 and train["dropped"] == {"too_long": 1, "malformed_row": 1, "missing_clip": 1}
    assert report["langs"]["xyz"]["dev"]["kept"] == 1


def test_unknown_language_and_missing_transcript(superb, tmp_path):
    with pytest.raises(DataError, match="found: eng, lit"):
        mlsuperb_source(superb, ["fra"])
    (tmp_path / "ds" / "abc" / "wav").mkdir(parents=True)
    with pytest.raises(DataError, match="transcript_10min_train.txt not found"):
        mlsuperb_source(tmp_path)


def test_folder_with_sidecar_transcripts_and_split_folders(tmp_path):
    root = tmp_path / "mine"
    for split, name, text in [("train", "a", "Hello there."), ("train", "b", "Bye now"), ("test", "c", "See you")]:
        tone(root / split / f"{name}.wav", 1.0)
        (root / split / f"{name}.txt").write_text(text)
    tone(root / "train" / "untranscribed.flac", 1.0)
    result = runner.invoke(app, ["prepare", "folder", str(root), "--lang", "en", "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    report = json.loads(report_path(tmp_path / "d").read_text())
    assert report["source"] == "folder" and report["langs"]["en"]["train"]["kept"] == 2
    assert report["langs"]["en"]["train"]["dropped"] == {"no_transcript": 1}
    assert load_manifest(manifest_path(tmp_path / "d", "en", "test"))[0]["text"] == "see you"


def test_folder_with_a_tsv(tmp_path):
    root = tmp_path / "mine"
    tone(root / "x.wav", 1.0), tone(root / "y.wav", 1.5)
    (root / "transcripts.tsv").write_text("file\ttext\tsplit\nx.wav\tone\ttrain\ny.wav\ttwo\tdev\nz.wav\tthree\tdev\nbad\n")
    source = folder_source(root, "en")
    report = prepare(source, PrepareOptions(tmp_path / "d", "chars", jobs=1)).report["langs"]["en"]
    assert report["train"]["kept"] == 1 and report["train"]["dropped"] == {"malformed_row": 1}
    assert report["dev"]["kept"] == 1 and report["dev"]["dropped"] == {"missing_clip": 1}
