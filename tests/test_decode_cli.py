"""`sshr decode` end to end through the CLI: one line per bad input, never a traceback."""

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from helpers_decode import espeak, parse_srt, tiny_ctc
from sshr_cli.cli import app
from sshr_cli.io import read_jsonl, write_jsonl

runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    tiny_ctc(root / "tiny")
    espeak("hello world", root / "a.wav")
    (root / "text.wav").write_text("not audio")
    (root / "empty.wav").write_bytes(b"")
    sf.write(root / "short.wav", np.zeros(160, np.float32), 16_000)
    mono, _ = sf.read(root / "a.wav", dtype="float32")
    sf.write(root / "stereo8k.wav", np.stack([mono[::3], mono[::3]], axis=1), 8000)
    (root / "noaudio").mkdir()
    (root / "noaudio" / "readme.txt").write_text("nothing here")
    return root


def run(ws, monkeypatch, *args):
    monkeypatch.chdir(ws)
    return runner.invoke(app, ["decode", *args])


def one_line_error(result, text):
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output and text in result.output, result.output
    assert len([line for line in result.output.splitlines() if line.startswith("error:")]) == 1


def test_one_file_prints_its_transcript(ws, monkeypatch):
    from sshr_cli.decode import transcribe

    result = run(ws, monkeypatch, "a.wav", "--model", "tiny")
    assert result.exit_code == 0, result.output
    expected = transcribe(ws / "tiny", [ws / "a.wav"])[0].text  # a random model's words, but words: its own
    assert expected and result.stdout == expected + "\n"
    assert "Detected language" not in result.output  # a plain CTC model has no language head


def test_one_file_as_srt_on_stdout(ws, monkeypatch):
    result = run(ws, monkeypatch, "a.wav", "--model", "tiny", "--format", "srt")
    assert result.exit_code == 0 and parse_srt(result.stdout)


@pytest.mark.parametrize("name, message", [
    ("missing.wav", "file not found"), ("text.wav", "not readable audio"), ("empty.wav", "empty file"),
    ("short.wav", "too short"), ("noaudio", "no audio files"),
])
def test_bad_single_inputs_are_one_line(ws, monkeypatch, name, message):
    one_line_error(run(ws, monkeypatch, name, "--model", "tiny"), message)


def test_unknown_device_is_one_line(ws, monkeypatch):
    one_line_error(run(ws, monkeypatch, "a.wav", "--model", "tiny", "--device", "tpu"), "--device")


def test_unknown_precision_is_one_line(ws, monkeypatch):
    one_line_error(run(ws, monkeypatch, "a.wav", "--model", "tiny", "--precision", "int4"), "--precision")


def test_fp16_on_cpu_is_one_line(ws, monkeypatch):
    one_line_error(run(ws, monkeypatch, "a.wav", "--model", "tiny", "--device", "cpu", "--precision", "fp16"),
                   "no fast CPU path")


def test_auto_precision_is_fp32_on_cpu_and_printed(ws, monkeypatch):
    a = run(ws, monkeypatch, "a.wav", "--model", "tiny", "--device", "cpu", "--threads", "1")
    b = run(ws, monkeypatch, "a.wav", "--model", "tiny", "--device", "cpu", "--precision", "fp32")
    assert a.exit_code == 0 and a.stdout == b.stdout
    assert "precision: fp32, 1 CPU thread(s)" in a.stderr


def test_stereo_8khz_works(ws, monkeypatch):
    assert run(ws, monkeypatch, "stereo8k.wav", "--model", "tiny").exit_code == 0


def test_checkpoint_without_vocab_is_one_line(ws, monkeypatch, tmp_path):
    shutil.copytree(ws / "tiny", tmp_path / "novocab")
    (tmp_path / "novocab" / "vocab.json").unlink()
    one_line_error(run(ws, monkeypatch, "a.wav", "--model", str(tmp_path / "novocab")), "vocab.json")


def test_batch_skips_bad_inputs_and_writes_the_rest(ws, monkeypatch, tmp_path):
    result = run(ws, monkeypatch, "a.wav", "stereo8k.wav", "text.wav", "missing.wav", "noaudio",
                 "--model", "tiny", "--format", "all", "--out-dir", str(tmp_path / "out"))
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert result.output.count("skipped:") == 3 and "decoded 2 file(s), skipped 3" in result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{s}.{e}" for s in ("a", "stereo8k") for e in ("txt", "json", "srt", "vtt", "tsv"))
    assert json.loads((tmp_path / "out" / "a.json").read_text())["decoder"]["type"] == "greedy"


def test_manifest_in_manifest_out(ws, monkeypatch, tmp_path):
    rows = [{"id": "u1", "audio_filepath": str(ws / "a.wav"), "duration": 1.7, "text": "hello world", "lang": "en"}]
    write_jsonl(tmp_path / "test.jsonl", rows)
    result = run(ws, monkeypatch, "--manifest", str(tmp_path / "test.jsonl"), "--model", "tiny")
    assert result.exit_code == 0, result.output
    hyps = read_jsonl(tmp_path / "test.hyps.jsonl")
    assert hyps[0]["id"] == "u1" and "pred_text" in hyps[0]


def test_lm_vocabulary_mismatch_is_a_warning(ws, monkeypatch, tmp_path):
    (tmp_path / "fr.txt").write_text("ÉTÉ ÇA NOËL\nÀ BIENTÔT\n", encoding="utf-8")
    assert runner.invoke(app, ["lm", "build", str(tmp_path / "fr.txt"), "--out", str(tmp_path / "fr.arpa")]).exit_code == 0
    result = run(ws, monkeypatch, "a.wav", "--model", "tiny", "--lm", str(tmp_path / "fr.arpa"))
    assert result.exit_code == 0 and "warning: the LM does not match" in result.output


def test_bare_decode_without_runs_names_model(ws, monkeypatch):
    one_line_error(run(ws, monkeypatch, "a.wav"), "--model")


def test_bare_decode_uses_the_latest_run(ws, monkeypatch, tmp_path):
    from sshr_cli.workspace import load_workspace

    shutil.copytree(ws / "tiny", tmp_path / "exp" / "run1" / "best")
    shutil.copy(ws / "a.wav", tmp_path / "a.wav")
    load_workspace(tmp_path).record_run(tmp_path / "exp" / "run1")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["decode", "a.wav"])
    assert result.exit_code == 0, result.output
    assert "latest run" in result.output and result.stdout.strip()


def test_unknown_decoder_is_one_line(ws, monkeypatch):
    one_line_error(run(ws, monkeypatch, "a.wav", "--model", "tiny", "--decoder", "kaldi"), "--decoder must be one of")
