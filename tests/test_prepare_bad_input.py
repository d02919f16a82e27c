"""Every bad input from issue 3 gets a reported skip with a reason, or a one-line error."""

from __future__ import annotations

import os

import pytest
import soundfile as sf
from typer.testing import CliRunner

from sshr_cli.cli import app
from sshr_cli.data.commonvoice import commonvoice_source
from sshr_cli.data.manifest import load_manifest, manifest_path
from sshr_cli.data.prepare import PrepareOptions, prepare
from sshr_cli.errors import DataError

from helpers_prepare import cv_row, make_cv_lang, tone, write_tsv

runner = CliRunner()
OK = [("ok.mp3", "A good clip.", 1.0)]


def _prep(corpus, out, **kw):
    return prepare(commonvoice_source(corpus, kw.pop("langs", None), kw.pop("splits", ("train", "dev", "test"))),
                   PrepareOptions(out, "chars", jobs=1, **kw))


def _one_line_error(args):
    result = runner.invoke(app, args)
    assert result.exit_code != 0 and "error:" in result.output
    assert "Traceback" not in result.output and result.output.strip().count("\n") == 0, result.output
    return result.output


@pytest.fixture
def corpus(tmp_path):
    return tmp_path / "cv-corpus-test"


def test_missing_clip_is_a_reported_skip(corpus, tmp_path):
    make_cv_lang(corpus / "en", {"train": OK + [("gone.mp3", "Never recorded.", 0)], "dev": OK, "test": OK})
    report = _prep(corpus, tmp_path / "out").report["langs"]["en"]
    assert report["train"] == {**report["train"], "kept": 1, "dropped": {"missing_clip": 1}}


@pytest.mark.parametrize("content", [b"", b"ID3 this is not an mp3 at all" * 10], ids=["zero-byte", "corrupt"])
def test_empty_or_corrupt_mp3_is_unreadable_audio(corpus, tmp_path, content):
    make_cv_lang(corpus / "en", {"train": OK + [("bad.mp3", "Broken clip.", 1.0)], "dev": OK, "test": OK})
    (corpus / "en" / "clips" / "bad.mp3").write_bytes(content)
    report = _prep(corpus, tmp_path / "out").report["langs"]["en"]
    assert report["train"]["kept"] == 1 and report["train"]["dropped"] == {"unreadable_audio": 1}


def test_unreadable_dev_clip_is_dropped_but_long_dev_clip_is_kept(corpus, tmp_path):
    make_cv_lang(corpus / "en", {"train": OK + [("long.mp3", "Too long to train on.", 21.0),
                                                ("short.mp3", "Too short.", 0.3)],
                                 "dev": [("long.mp3", "Too long to train on.", 21.0), ("bad.mp3", "x", 1.0)],
                                 "test": [("short.mp3", "Too short.", 0.3)]})
    (corpus / "en" / "clips" / "bad.mp3").write_bytes(b"")
    report = _prep(corpus, tmp_path / "out").report["langs"]["en"]
    assert report["train"]["dropped"] == {"too_long": 1, "too_short": 1}
    assert report["dev"]["kept"] == 1 and report["dev"]["dropped"] == {"unreadable_audio": 1}
    assert report["test"]["kept"] == 1 and report["test"]["dropped"] == {}


@pytest.mark.parametrize("sample_rate,channels", [(8_000, 2), (44_100, 2), (8_000, 1)])
def test_stereo_or_8k_clip_works_and_is_resampled(corpus, tmp_path, sample_rate, channels):
    make_cv_lang(corpus / "en", {"train": OK, "dev": OK, "test": OK})
    tone(corpus / "en" / "clips" / "odd.mp3", 2.0, sample_rate, channels)
    write_tsv(corpus / "en" / "train.tsv", [cv_row("ok.mp3", "A good clip."), cv_row("odd.mp3", "An odd clip.")])
    out = tmp_path / "out"
    _prep(corpus, out, resample_to_flac=True)
    row = load_manifest(manifest_path(out, "en", "train"))[1]
    assert row["id"] == "odd" and row["duration"] == pytest.approx(2.0, abs=0.06)
    info = sf.info(row["audio_filepath"])
    assert (info.samplerate, info.channels) == (16_000, 1)


def test_empty_sentence_after_normalisation_is_a_reported_skip(corpus, tmp_path):
    make_cv_lang(corpus / "en", {"train": OK + [("e.mp3", "", 1.0), ("p.mp3", " ?!… ", 1.0)], "dev": OK, "test": OK})
    report = _prep(corpus, tmp_path / "out").report["langs"]["en"]
    assert report["train"]["kept"] == 1 and report["train"]["dropped"] == {"empty_text": 2}


def test_malformed_row_is_counted_and_quotes_are_not_parsed(corpus, tmp_path):
    make_cv_lang(corpus / "en", {"train": OK + [("q.mp3", 'He said "hi.', 1.0)], "dev": OK, "test": OK})
    tsv = corpus / "en" / "train.tsv"
    tsv.write_text(tsv.read_text() + "too\tfew\tcolumns\n" + cv_row("ok.mp3", "x") + "\textra\n")
    out = tmp_path / "out"
    report = _prep(corpus, out).report["langs"]["en"]
    assert report["train"]["kept"] == 2 and report["train"]["dropped"] == {"malformed_row": 2}
    assert load_manifest(manifest_path(out, "en", "train"))[1]["raw_text"] == 'He said "hi.'


def test_old_release_header_and_extra_columns_work(corpus, tmp_path):
    old = ("client_id", "path", "sentence", "up_votes", "down_votes", "age", "gender", "accent", "my_extra")
    make_cv_lang(corpus / "en", {"train": OK, "dev": OK, "test": OK}, header=old)
    out = tmp_path / "out"
    _prep(corpus, out)
    assert load_manifest(manifest_path(out, "en", "train"))[0]["text"] == "a good clip"


def test_header_without_sentence_is_one_line(corpus, tmp_path):
    make_cv_lang(corpus / "en", {"train": OK, "dev": OK, "test": OK}, header=("client_id", "path", "text"))
    message = _one_line_error(["prepare", "commonvoice", str(corpus), "--out", str(tmp_path / "o")])
    assert "sentence" in message


def test_missing_tsv_is_one_line_naming_the_file(corpus, tmp_path):
    make_cv_lang(corpus / "en", {"train": OK, "test": OK})
    message = _one_line_error(["prepare", "commonvoice", str(corpus), "--out", str(tmp_path / "o")])
    assert "dev.tsv" in message and "--splits" in message
    assert _prep(corpus, tmp_path / "ok", splits=("train", "test")).report["langs"]["en"]["test"]["kept"] == 1


def test_language_without_train_tsv_is_one_line_naming_the_fix(corpus, tmp_path):
    make_cv_lang(corpus / "en", {"train": OK, "dev": OK, "test": OK})
    make_cv_lang(corpus / "ga-IE", {"dev": OK, "test": OK})
    message = _one_line_error(["prepare", "commonvoice", str(corpus), "--out", str(tmp_path / "o")])
    assert "ga-IE has no train split" in message and "--splits dev,test" in message


def test_language_with_empty_train_split_is_kept_with_a_warning(corpus, tmp_path):
    make_cv_lang(corpus / "en", {"train": OK, "dev": OK, "test": OK})
    make_cv_lang(corpus / "ga-IE", {"train": [], "dev": OK, "test": OK})
    result = runner.invoke(app, ["prepare", "commonvoice", str(corpus), "--units", "chars", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "ga-IE: no training utterances kept" in result.output
    report = _prep(corpus, tmp_path / "o").report["langs"]["ga-IE"]
    assert report["train"]["kept"] == 0 and report["dev"]["kept"] == 1


def test_unreadable_corpus_dir_is_one_line(corpus, tmp_path, monkeypatch):
    make_cv_lang(corpus / "en", {"train": OK, "dev": OK, "test": OK})
    if os.geteuid() == 0:  # root reads a chmod-000 folder anyway: make scandir fail as it would for a user
        import sshr_cli.data.commonvoice as cv

        def denied(path):
            raise PermissionError(13, "Permission denied", str(path))

        monkeypatch.setattr(cv.os, "scandir", denied)
    else:
        corpus.chmod(0)
    try:
        message = _one_line_error(["prepare", "commonvoice", str(corpus), "--out", str(tmp_path / "o")])
    finally:
        corpus.chmod(0o755)
    assert "cannot read" in message and "Permission denied" in message


def test_corpus_that_is_a_file_or_empty_is_one_line(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "empty").mkdir()
    assert "file.txt" in _one_line_error(["prepare", "commonvoice", str(tmp_path / "file.txt"), "--out", str(tmp_path)])
    with pytest.raises(DataError, match="is not a folder"):
        commonvoice_source(tmp_path / "file.txt")
    assert "no Common Voice language" in _one_line_error(
        ["prepare", "commonvoice", str(tmp_path / "empty"), "--out", str(tmp_path)])
    with pytest.raises(DataError, match="does not exist"):
        commonvoice_source(tmp_path / "nowhere")


def test_bad_units_is_one_line(corpus, tmp_path):
    make_cv_lang(corpus / "en", {"train": OK, "dev": OK, "test": OK})
    assert "--units" in _one_line_error(["prepare", "commonvoice", str(corpus), "--units", "words",
                                         "--out", str(tmp_path / "o")])


def test_non_utf8_transcripts_are_one_line(tmp_path):
    from sshr_cli.data.folder import folder_source

    (tmp_path / "transcripts.tsv").write_bytes("path\ttext\na.wav\tcaf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        folder_source(tmp_path, lang="fr")
