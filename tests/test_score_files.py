"""Reading references/hypotheses, pairing by id, auto units, and the `sshr score` command."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from sshr_cli.cli import app
from sshr_cli.errors import ConfigError, DataError
from sshr_cli.score import read_transcripts, score_files

runner = CliRunner()
REFS = {"u1": "the cat sat", "u2": "a b c d", "u3": "hello world", "u4": "one"}
HYPS = {"u1": "the hat sat down", "u2": "a x c d", "u3": "hello world", "u4": "one"}
# u1: 1 sub + 1 ins; u2: 1 sub -> 3 errors over 10 words


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def ref_manifest(path, refs=REFS, lang="en", **extra):
    return write_jsonl(path, [{"id": i, "text": t, "lang": lang, **extra} for i, t in refs.items()])


def hyp_manifest(path, hyps=HYPS):
    return write_jsonl(path, [{"id": i, "text": REFS.get(i, ""), "pred_text": t, "lang": "en"}
                              for i, t in hyps.items()])


def test_pairs_by_id_not_line_order(tmp_path):
    ref = ref_manifest(tmp_path / "test.jsonl")
    shuffled = dict(reversed(list(HYPS.items())))
    result, _ = score_files(hyp_manifest(tmp_path / "hyp.jsonl", shuffled), ref)
    assert result.totals.err == 3 and result.totals.n == 10
    assert [u.id for u in result.utterances] == list(REFS)  # reference order
    assert result.split == "test"


def test_missing_and_extra_ids(tmp_path):
    ref = ref_manifest(tmp_path / "test.jsonl")
    hyps = {k: v for k, v in HYPS.items() if k != "u3"} | {"zz": "extra words"}
    result, _ = score_files(hyp_manifest(tmp_path / "hyp.jsonl", hyps), ref)
    assert result.missing_ids == ("u3",) and result.extra_ids == ("zz",)
    assert result.totals.dels == 2 and result.totals.err == 5  # hello world deleted
    assert result.summary()["missing_ids"] == 1 and result.summary()["extra_ids"] == 1


def test_kaldi_text_files_and_empty_lines(tmp_path):
    (tmp_path / "ref").write_text("u2 a b c\nu1 the cat\n\nu3\n", encoding="utf-8")
    (tmp_path / "hyp").write_text("u1 the cat\nu3 x\nu2 a b c\n", encoding="utf-8")
    result, _ = score_files(tmp_path / "hyp", tmp_path / "ref", "word", lang="en")
    assert read_transcripts(tmp_path / "ref").kind == "kaldi"
    assert result.totals.n == 5 and result.totals.ins == 1 and result.totals.err == 1
    assert result.by_lang["en"].n == 5
    assert result.empty_ref_ids == ("u3",)


def test_decode_manifest_alone_carries_its_references(tmp_path):
    result, _ = score_files(hyp_manifest(tmp_path / "decoded.jsonl"))
    assert result.totals.err == 3
    with pytest.raises(ConfigError, match="--ref"):
        score_files(ref_manifest(tmp_path / "test.jsonl"))


def test_a_line_without_pred_text_is_missing_not_scored_against_its_own_text(tmp_path):
    ref = ref_manifest(tmp_path / "test.jsonl")
    rows = [{"id": i, "text": REFS[i], "pred_text": t} for i, t in HYPS.items() if i != "u2"]
    rows.append({"id": "u2", "text": REFS["u2"]})  # decode skipped it
    result, _ = score_files(write_jsonl(tmp_path / "hyp.jsonl", rows), ref)
    assert result.missing_ids == ("u2",) and result.totals.dels == 4


def test_auto_unit_from_prepare_report(tmp_path):
    (tmp_path / "data" / "en").mkdir(parents=True)
    (tmp_path / "data" / "prepare_report.json").write_text(json.dumps({"units": "phonemes", "source": "commonvoice"}))
    ref = ref_manifest(tmp_path / "data" / "en" / "test.jsonl", units="h ə | l oʊ")
    hyp = write_jsonl(tmp_path / "hyp.jsonl", [{"id": i, "pred_text": "x", "pred_units": "h ɛ | l oʊ"}
                                               for i in REFS])
    result, why = score_files(hyp, ref)
    assert result.unit == "phone" and "prepare_report" in why and result.dataset == "commonvoice"
    assert result.totals.n == 16 and result.totals.sub == 4


def test_auto_unit_from_fields_and_default_word(tmp_path):
    ref = ref_manifest(tmp_path / "dev.jsonl", units="a b")
    phones = write_jsonl(tmp_path / "p.jsonl", [{"id": i, "pred_units": "a c"} for i in REFS])
    result, _ = score_files(phones, ref)
    assert result.unit == "phone" and result.totals.error_rate == 0.5 and result.split == "dev"
    words, _ = score_files(hyp_manifest(tmp_path / "h.jsonl"), ref)
    assert words.unit == "word"


def test_phone_unit_without_pred_units_says_which_field(tmp_path):
    ref = ref_manifest(tmp_path / "test.jsonl", units="a b")
    with pytest.raises(DataError, match="pred_units"):
        score_files(hyp_manifest(tmp_path / "h.jsonl"), ref, "phone")


@pytest.mark.parametrize("content, message", [
    ('{"id": "u1", "text": "a"}\n{"id": "u2", "text": \n', ":2: not a JSON object"),
    ('{"text": "a"}\n', 'with an "id" field'),
    ('{"id": "u1", "text": "a"}\n{"id": "u1", "text": "b"}\n', "appears twice"),
    ('{"id": "u1", "txt": "a"}\n', "no text field"),
])
def test_bad_reference_is_a_one_line_data_error(tmp_path, content, message):
    (tmp_path / "ref.jsonl").write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        score_files(hyp_manifest(tmp_path / "h.jsonl"), tmp_path / "ref.jsonl")


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="not found"):
        score_files(tmp_path / "nope.jsonl", tmp_path / "ref.jsonl")


# ---------------------------------------------------------------- CLI


def test_cli_end_to_end_writes_the_reports(tmp_path):
    ref = ref_manifest(tmp_path / "test.jsonl")
    (tmp_path / "run").mkdir()
    hyp = hyp_manifest(tmp_path / "run" / "hyp.jsonl")
    result = runner.invoke(app, ["score", "--ref", str(ref), "--hyp", str(hyp), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["metric"] == "wer" and summary["split"] == "test"
    assert summary["totals"]["error_rate"] == pytest.approx(0.3)
    folder = tmp_path / "run" / "score_test"
    assert json.loads((folder / "summary.json").read_text()) == summary
    errs = (folder / "errs.txt").read_text(encoding="utf-8")
    assert "%WER 30.00 [ 3 / 10, 1 ins, 0 del, 2 sub ]" in errs
    assert "u1:\tthe (cat->hat) sat (*->down)" in errs
    assert "SUBSTITUTIONS: count ref -> hyp\n1   b -> x\n1   cat -> hat" in errs
    recogs = (folder / "recogs.txt").read_text(encoding="utf-8")
    assert "u1:\tref=the cat sat\nu1:\thyp=the hat sat down" in recogs
    assert len((folder / "per_utt.jsonl").read_text().splitlines()) == 4
    assert "normalisation[en]" in result.stderr and "Corr" in result.stderr


def test_cli_char_unit_and_out_dir(tmp_path):
    ref = ref_manifest(tmp_path / "test.jsonl", {"u": "ab c"})
    hyp = write_jsonl(tmp_path / "h.jsonl", [{"id": "u", "pred_text": "abc"}])
    result = runner.invoke(app, ["score", "--ref", str(ref), "--hyp", str(hyp), "--unit", "char",
                                 "--out-dir", str(tmp_path / "out"), "--split", "eval"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["metric"] == "cer" and summary["totals"]["error_rate"] == 0.25 and summary["split"] == "eval"
    assert "u:\ta b (\u2581->*) c" in (tmp_path / "out" / "errs.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("setup", ["missing", "malformed"])
def test_cli_bad_input_is_one_line_without_traceback(tmp_path, setup):
    hyp = hyp_manifest(tmp_path / "h.jsonl")
    ref = tmp_path / "ref.jsonl"
    if setup == "malformed":
        ref.write_text('{"id": "u1", "text": "a"}\nnot json\n', encoding="utf-8")
    result = runner.invoke(app, ["score", "--ref", str(ref), "--hyp", str(hyp)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert not (tmp_path / "score_ref").exists()


def test_cli_missing_file_in_a_real_process_prints_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sshr_cli", "score", "--hyp", str(tmp_path / "none.jsonl")],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0 and "not found" in proc.stderr


def test_cli_unicode_rtl_and_cjk_round_trip(tmp_path):
    (tmp_path / "ref").write_text("a مرحبا بالعالم\nb 我爱你\n", encoding="utf-8")
    (tmp_path / "hyp").write_text("b 我恨你\na مرحبا بالعالمين\n", encoding="utf-8")
    result = runner.invoke(app, ["score", "--ref", str(tmp_path / "ref"), "--hyp", str(tmp_path / "hyp"),
                                 "--unit", "char", "--lang", "zh", "--out-dir", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    errs = (tmp_path / "o" / "errs.txt").read_text(encoding="utf-8")
    assert "b:\t我 (爱->恨) 你" in errs and "(*->ي) (*->ن)" in errs
    totals = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))["totals"]
    assert (totals["n"], totals["err"]) == (16, 3)  # 13 + 3 characters; 2 ins + 1 sub


def test_library_call_and_cli_on_the_same_output_agree(tmp_path):
    """finetune calls score_pairs on its dev outputs; `sshr score` on the written manifest must match."""
    from sshr_cli.score import score_pairs

    rows = [{"id": f"u{i}", "text": ref, "pred_text": hyp, "lang": lang}
            for i, (ref, hyp, lang) in enumerate([("hallo welt", "Hallo, Welt!", "de"), ("it's me", "its me", "en"),
                                                  ("a b c", "a c", "en"), ("straße", "strasse", "de")])]
    in_library = score_pairs([(r["id"], r["text"], r["pred_text"], r["lang"]) for r in rows], "word")
    from_file, _ = score_files(write_jsonl(tmp_path / "dev.jsonl", rows))
    assert from_file.summary() == in_library.summary() | {"split": "dev"}
    assert in_library.totals.error_rate == pytest.approx(3 / 8)  # 0 + 1 + 1 + 1 errors over 2 + 2 + 3 + 1 words


@pytest.mark.parametrize("report, expected", [
    ({"units": "chars", "source": "commonvoice", "release": "cv-corpus-17.0-2024-03-15"}, "cv-corpus-17.0-2024-03-15"),
    # a report written before prepare recorded the release: the corpus folder it names says it
    ({"units": "chars", "source": "commonvoice", "args": {"corpus_dir": "/data/cv-corpus-16.1-2023-12-06"}},
     "cv-corpus-16.1-2023-12-06"),
    ({"units": "chars", "source": "commonvoice", "args": {"corpus_dir": "/data/my-cv"}}, "commonvoice"),
    ({"units": "chars", "source": "folder"}, "folder"),
])
def test_dataset_is_the_prepared_release_and_the_split_the_one_the_user_knows(tmp_path, report, expected):
    (tmp_path / "data" / "en").mkdir(parents=True)
    (tmp_path / "data" / "prepare_report.json").write_text(json.dumps(report))
    rows = [{"id": i, "text": REFS[i], "pred_text": HYPS[i]} for i in REFS]
    decoded = write_jsonl(tmp_path / "data" / "en" / "test.hyps.jsonl", rows)  # sshr decode's default name
    result, _ = score_files(decoded)
    assert result.dataset == expected and result.split == "test"
