"""`sshr export onnx` and decoding its folder with onnxruntime (sshr_cli.export, sshr_cli.onnx_model).

Real components throughout: torch.onnx's dynamo exporter, onnxruntime, the CLI. Exporting a tiny
checkpoint takes ~30 s on 2 cores, so the two exports are shared by the module (slow).
"""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from helpers_decode import espeak
from helpers_hub import save_ctc_checkpoint, save_sshr_checkpoint
from sshr_cli.cli import app
from sshr_cli.hub import load_recognizer

runner = CliRunner()
LOGIT_TOL = 1e-3  # ONNX vs PyTorch log-probs, max abs difference
BATCHES = ([16_000], [16_000, 5_000, 24_000], [3_200, 3_200])  # samples per wave: batch sizes 1-3, mixed lengths
FORMATS = ("txt", "json", "srt", "vtt", "tsv")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("onnx")
    espeak("hello world", root / "a.wav")
    espeak("guten tag", root / "b.wav", "de")
    folders = {"ctc": save_ctc_checkpoint(root / "ctc"), "sshr": save_sshr_checkpoint(root / "sshr"), "root": root}
    for kind in ("ctc", "sshr"):
        result = runner.invoke(app, ["export", "onnx", str(folders[kind]), "--out", str(root / f"{kind}_onnx")])
        assert result.exit_code == 0, result.output
        assert "opset" in result.output and "Traceback" not in result.output
    return folders


def waves(lengths):
    rng = np.random.default_rng(len(lengths))
    return [rng.standard_normal(n).astype(np.float32) for n in lengths]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["ctc", "sshr"])
@pytest.mark.parametrize("lengths", BATCHES)
def test_onnx_logits_equal_pytorch(exported, kind, lengths):
    pt, ox = load_recognizer(exported[kind]), load_recognizer(exported["root"] / f"{kind}_onnx")
    a, b = pt(waves(lengths)), ox(waves(lengths))
    assert type(ox).__name__ == "OnnxRecognizer" and b.log_probs.shape == a.log_probs.shape
    assert torch.equal(a.lengths, b.lengths)
    assert (a.log_probs - b.log_probs).abs().max() < LOGIT_TOL
    if kind == "sshr":  # the LID head is the graph's third output
        assert b.lid_probs is not None and (a.lid_probs - b.lid_probs).abs().max() < LOGIT_TOL
    else:
        assert b.lid_probs is None


@pytest.mark.slow
def test_export_folder_layout(exported):
    folder = exported["root"] / "sshr_onnx"
    config = json.loads((folder / "sshr_onnx.json").read_text())
    assert config["kind"] == "sshr" and config["languages"] == ["en", "de"] and config["precision"] == "fp32"
    assert config["outputs"] == ["log_probs", "lengths", "lid_probs"] and config["opset"] >= 18
    assert (folder / "vocab.json").is_file() and (folder / "unigrams.txt").is_file()
    assert not (folder / "model.safetensors").exists()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["ctc", "sshr"])
def test_decode_onnx_folder_in_every_format_matches_pytorch(exported, kind, monkeypatch):
    root = exported["root"]
    monkeypatch.chdir(root)
    for model, out in ((kind, "pt"), (f"{kind}_onnx", "ox")):
        result = runner.invoke(app, ["decode", "a.wav", "b.wav", "--model", model, "-f", "all",
                                     "--out-dir", f"{kind}_{out}"])
        assert result.exit_code == 0, result.output
    for stem in ("a", "b"):
        for fmt in FORMATS:
            pt, ox = (root / f"{kind}_{d}" / f"{stem}.{fmt}" for d in ("pt", "ox"))
            if fmt == "json":
                a, b = json.loads(pt.read_text()), json.loads(ox.read_text())
                assert (a["text"], a.get("language")) == (b["text"], b.get("language"))
                assert b["decoder"]["precision"] == "fp32" and b["model"] == f"{kind}_onnx"
            else:
                assert pt.read_text() == ox.read_text(), (stem, fmt)


@pytest.mark.slow
def test_beam_search_on_an_onnx_folder(exported, monkeypatch):
    monkeypatch.chdir(exported["root"])
    result = runner.invoke(app, ["decode", "a.wav", "--model", "sshr_onnx", "--nbest", "2", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["decoder"]["type"] == "beam"


@pytest.mark.slow
def test_another_precision_than_the_exports_is_one_line(exported, monkeypatch):
    monkeypatch.chdir(exported["root"])
    result = runner.invoke(app, ["decode", "a.wav", "--model", "ctc_onnx", "--precision", "int8"])
    assert result.exit_code != 0 and "export again with --int8" in result.output, result.output


@pytest.mark.slow
def test_int8_export_decodes(exported, monkeypatch):
    monkeypatch.chdir(exported["root"])
    result = runner.invoke(app, ["export", "onnx", "ctc", "--out", "ctc_int8", "--int8"])
    assert result.exit_code == 0 and "int8" in result.output, result.output
    pt, ox = load_recognizer(exported["ctc"]), load_recognizer(exported["root"] / "ctc_int8")
    a, b = pt(waves([16_000])), ox(waves([16_000]))
    assert 0 < (a.log_probs - b.log_probs).abs().max() < 1.0  # quantised: close, not equal


MISSING_ORT = """
import sys
sys.modules["onnxruntime"] = None  # import onnxruntime -> ImportError, as on a machine without the extra
from sshr_cli.cli import main
sys.argv = ["sshr", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("command", [["decode", "a.wav", "--model", "fake_onnx"],
                                     ["export", "onnx", "fake_ckpt", "--out", "out"]])
def test_missing_onnxruntime_is_one_line(tmp_path, command):
    fake = tmp_path / "fake_onnx"
    fake.mkdir()
    (fake / "model.onnx").write_bytes(b"not read")
    (fake / "config.json").write_text("{}")
    (fake / "sshr_onnx.json").write_text(json.dumps({"precision": "fp32"}))
    (tmp_path / "fake_ckpt").mkdir()
    (tmp_path / "fake_ckpt" / "config.json").write_text("{}")
    espeak("hi", tmp_path / "a.wav")
    proc = subprocess.run([sys.executable, "-c", MISSING_ORT, *command], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "pip install 'sshr[onnx]'" in errors[0], proc.stderr
