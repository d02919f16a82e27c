"""`sshr prepare commonvoice` on generated releases: hand counts, vocab, re-runs, workspace defaults."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import soundfile as sf
from typer.testing import CliRunner

from sshr_cli.cli import app
from sshr_cli.data.commonvoice import commonvoice_source
from sshr_cli.data.manifest import load_manifest, manifest_path, report_path, vocab_path
from sshr_cli.data.prepare import PrepareOptions, prepare
from sshr_cli.text import Vocab, normalize

from helpers_prepare import make_cv_lang

runner = CliRunner()
ALL8 = ["en", "de", "fr", "es", "it", "nl", "pl", "sv"]


@pytest.fixture(scope="module")
def cv8(tmp_path_factory):
    """The issue's corpus: a generated release with 8 languages (4 clips each + extras)."""
    from sshr_cli.data.synthetic import generate_commonvoice

    return generate_commonvoice(tmp_path_factory.mktemp("cv8"), ALL8, clips_per_lang=4, seed=3, jobs=2)


def _tsv_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def _ms_durations(lang_dir: Path) -> dict[str, float]:
    return {r["clip"]: int(r["duration[ms]"]) / 1000 for r in _tsv_rows(lang_dir / "clip_durations.tsv")}


def test_report_matches_hand_count_on_8_language_corpus(cv8, tmp_path):
    out = tmp_path / "data"
    result = runner.invoke(app, ["prepare", "commonvoice", str(cv8), "--langs", "en,de,fr", "--units", "phonemes",
                                 "--out", str(out), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    report = json.loads(report_path(out).read_text())
    assert report["units"] == "phonemes" and report["source"] == "commonvoice"
    assert sorted(report["langs"]) == ["de", "en", "fr"]
    vocab = Vocab.load(vocab_path(out))
    train_units = set()
    for lang in ["en", "de", "fr"]:
        train_units |= {u for r in load_manifest(manifest_path(out, lang, "train")) for u in r["units"].split()}
    assert set(vocab.tokens) - {"<pad>", "<unk>", "|"} == train_units - {"|"}
    assert report["vocab_size"] == len(vocab)
    for lang in ["en", "de", "fr"]:
        ms = _ms_durations(cv8 / lang)
        for split in ["train", "dev", "test"]:
            tsv = _tsv_rows(cv8 / lang / f"{split}.tsv")
            rows = load_manifest(manifest_path(out, lang, split))
            got = report["langs"][lang][split]
            assert got["kept"] == len(tsv) == len(rows) and got["dropped"] == {}
            assert got["hours"] == pytest.approx(sum(ms[r["path"]] for r in tsv) / 3600, abs=2e-5)
            units = [u for r in rows for u in r["units"].split()]
            assert got["unk_rate"] == pytest.approx(vocab.count_unknown(units) / len(units), abs=1e-6)
            for row, source in zip(rows, tsv):
                assert row["raw_text"] == source["sentence"] and row["text"] == normalize(source["sentence"], lang)
                assert row["speaker"] == source["client_id"] and row["lang"] == lang
                assert Path(row["audio_filepath"]).is_absolute() and Path(row["audio_filepath"]).is_file()
                assert row["duration"] == pytest.approx(ms[source["path"]], abs=0.05)
    assert report["langs"]["en"]["train"]["unk_rate"] == 0.0
    assert not (out / "es").exists()


def test_rerun_is_a_noop_that_says_so(cv_corpus, tmp_path):
    args = ["prepare", "commonvoice", str(cv_corpus), "--units", "chars", "--out", str(tmp_path / "d")]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "d").rglob("*.json*")}
    assert {p.relative_to(tmp_path / "d").as_posix() for p in stamps} >= {  # compared below: not an empty dict
        "prepare_report.json", "vocab.json", *(f"{lang}/{split}.jsonl" for lang in ("en", "de")
                                               for split in ("train", "dev", "test"))}
    second = runner.invoke(app, args + ["--jobs", "1"])  # jobs does not change the result
    assert second.exit_code == 0 and "up to date" in second.output
    assert stamps == {p: p.stat().st_mtime_ns for p in (tmp_path / "d").rglob("*.json*")}


def test_changed_input_is_redone(tmp_path):
    lang = make_cv_lang(tmp_path / "cv" / "en", {"train": [("a.mp3", "one two", 1.0)], "dev": [("b.mp3", "three", 1.0)],
                                                  "test": [("c.mp3", "four", 1.0)]})
    opts = PrepareOptions(tmp_path / "out", "chars", jobs=1)
    assert not prepare(commonvoice_source(lang.parent), opts).up_to_date
    assert prepare(commonvoice_source(lang.parent), opts).up_to_date
    tsv = lang / "train.tsv"
    tsv.write_text(tsv.read_text().replace("one two", "five six"))
    again = prepare(commonvoice_source(lang.parent), opts)
    assert not again.up_to_date
    assert load_manifest(manifest_path(tmp_path / "out", "en", "train"))[0]["text"] == "five six"


def test_interrupt_then_rerun_gives_the_same_result(cv_corpus, tmp_path, monkeypatch):
    import sshr_cli.data.prepare as prep

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    clean = prepare(commonvoice_source(cv_corpus), PrepareOptions(tmp_path / "clean", "chars", jobs=2))
    monkeypatch.setattr(prep, "make_units", interrupted)
    result = runner.invoke(app, ["prepare", "commonvoice", str(cv_corpus), "--units", "chars", "--out", str(tmp_path / "d")])
    assert result.exit_code == 130 and "re-run to resume" in result.output
    assert (tmp_path / "d" / prep.WORK_DIR / prep.MEASURE_CACHE).is_file()  # the measuring is kept
    assert not report_path(tmp_path / "d").exists()
    monkeypatch.undo()
    resumed = prepare(commonvoice_source(cv_corpus), PrepareOptions(tmp_path / "d", "chars", jobs=2))
    assert resumed.report == {**clean.report}
    for lang in ["en", "de"]:
        for split in ["train", "dev", "test"]:
            assert (manifest_path(tmp_path / "d", lang, split).read_text()
                    == manifest_path(tmp_path / "clean", lang, split).read_text())


def test_fewer_languages_on_rerun_removes_their_old_manifests(cv_corpus, tmp_path):
    out = tmp_path / "d"
    prepare(commonvoice_source(cv_corpus), PrepareOptions(out, "chars", jobs=2))
    assert manifest_path(out, "de", "train").is_file()
    prepare(commonvoice_source(cv_corpus, ["en"]), PrepareOptions(out, "chars", jobs=2))
    assert not manifest_path(out, "de", "train").exists() and manifest_path(out, "en", "train").is_file()


def test_unknown_language_is_one_line_listing_what_was_found(cv_corpus, tmp_path):
    result = runner.invoke(app, ["prepare", "commonvoice", str(cv_corpus), "--langs", "en,xx", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "xx" in result.output and "found: de, en" in result.output


def test_resample_to_flac_writes_16k_copies(cv_corpus, tmp_path):
    out = tmp_path / "d"
    prepare(commonvoice_source(cv_corpus, ["de"], ["dev"]), PrepareOptions(out, "chars", jobs=2, resample_to_flac=True))
    rows = load_manifest(manifest_path(out, "de", "dev"))
    assert rows
    for row in rows:
        info = sf.info(row["audio_filepath"])
        assert row["audio_filepath"].endswith(".flac") and info.samplerate == 16_000 and info.channels == 1
        assert info.frames / 16_000 == pytest.approx(row["duration"], abs=0.01)


def test_bare_command_finds_the_release_in_the_working_folder(cv_corpus, tmp_path, monkeypatch):
    shutil.copytree(cv_corpus / "en", tmp_path / "cv-corpus-2.0-old" / "en")
    shutil.copytree(cv_corpus, tmp_path / cv_corpus.name.replace("0.1", "9.1"))
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["prepare", "commonvoice", "--langs", "en,de", "--units", "chars"])
    assert result.exit_code == 0, result.output
    assert "9.1-synthetic" in result.output and "newest of 2" in result.output
    report = json.loads((tmp_path / "data" / "prepare_report.json").read_text())
    assert sorted(report["langs"]) == ["de", "en"] and "9.1" in report["args"]["corpus_dir"]
    via_flag = runner.invoke(app, ["prepare", "commonvoice", "--corpus", str(tmp_path / "cv-corpus-2.0-old"),
                                   "--langs", "en", "--units", "chars", "--out", "old"])
    assert via_flag.exit_code == 0, via_flag.output
    assert (tmp_path / "old" / "en" / "train.jsonl").is_file()


def test_no_release_anywhere_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SSHR_COMMONVOICE_DIR", raising=False)
    result = runner.invoke(app, ["prepare", "commonvoice", "--langs", "en"])
    assert result.exit_code == 1 and "Common Voice" in result.output and "--corpus" in result.output
    assert "Traceback" not in result.output


def test_one_language_folder_works_as_corpus(cv_corpus, tmp_path):
    result = prepare(commonvoice_source(cv_corpus / "de"), PrepareOptions(tmp_path, "chars", jobs=1))
    assert list(result.report["langs"]) == ["de"]


def test_report_records_the_common_voice_release_from_the_folder_name(cv_corpus, tmp_path):
    release = shutil.copytree(cv_corpus / "de", tmp_path / "cv-corpus-17.0-2024-03-15" / "de")
    whole = prepare(commonvoice_source(release.parent), PrepareOptions(tmp_path / "a", "chars", jobs=1))
    one = prepare(commonvoice_source(release), PrepareOptions(tmp_path / "b", "chars", jobs=1))
    assert whole.report["release"] == one.report["release"] == "cv-corpus-17.0-2024-03-15"
    renamed = shutil.copytree(cv_corpus / "de", tmp_path / "my corpus" / "de")
    assert "release" not in prepare(commonvoice_source(renamed), PrepareOptions(tmp_path / "c", "chars", jobs=1)).report
