"""Inference precision on a CPU (sshr_cli.model.precision): int8 Linear layers, bf16 where native,
what each name resolves to, and the json record of it."""

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from helpers_decode import espeak, tiny_ctc
from helpers_hub import save_sshr_checkpoint
from sshr_cli.cli import app
from sshr_cli.errors import ConfigError
from sshr_cli.model import precision
from sshr_cli.model.inference import load_checkpoint

runner = CliRunner()
INT8_MAX_ABS_LOGP = 0.5  # random tiny encoders: int8 log-probs stay this close to fp32's (measured ~0.05)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("precision")
    espeak("hello world", root / "a.wav")
    return {"ctc": tiny_ctc(root / "ctc"), "sshr": save_sshr_checkpoint(root / "sshr"), "root": root}


def waves():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(n).astype(np.float32) for n in (16_000, 9_000)]


@pytest.mark.parametrize("kind", ["ctc", "sshr"])
def test_int8_quantises_the_encoder_linears_only_and_stays_close(folders, kind):
    ref = load_checkpoint(folders[kind])(waves(), "fp32")
    rec = load_checkpoint(folders[kind])
    out = rec(waves(), "int8")
    quantized = [n for n, m in rec.model.named_modules() if type(m).__module__.startswith("torch.ao.nn.quantized")]
    assert quantized and not any(n.startswith(("lm_head", "lid_head", "inter_heads")) for n in quantized)
    assert torch.equal(out.lengths, ref.lengths)
    assert (out.log_probs - ref.log_probs).abs().max() < INT8_MAX_ABS_LOGP
    assert 0 < (out.log_probs - ref.log_probs).abs().max()  # it really ran int8


def test_a_quantised_recogniser_refuses_fp32(folders):
    rec = load_checkpoint(folders["ctc"])
    rec(waves(), "int8")
    with pytest.raises(ConfigError, match="quantised to int8"):
        rec(waves(), "fp32")


@pytest.mark.parametrize("asked, device, expected", [
    ("auto", "cpu", "fp32"), ("fp32", "cpu", "fp32"), ("int8", "cpu", "int8"),
])
def test_resolve_precision_on_cpu(asked, device, expected):
    assert precision.resolve_precision(asked, device) == expected


@pytest.mark.parametrize("asked, device, message", [
    ("fp16", "cpu", "no fast CPU path"), ("int8", "cuda", "CPU path"), ("int4", "cpu", "use one of"),
])
def test_unusable_precisions_are_config_errors(asked, device, message):
    with pytest.raises(ConfigError, match=message):
        precision.resolve_precision(asked, device)


def test_bf16_needs_native_support(monkeypatch, tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f\n")
    monkeypatch.setattr(precision, "CPUINFO", cpuinfo)
    with pytest.raises(ConfigError, match="no native bf16"):
        precision.resolve_precision("bf16", "cpu")
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16\n")
    assert precision.resolve_precision("bf16", "cpu") == "bf16"


@pytest.mark.skipif(not precision.cpu_has_native_bf16(), reason="this CPU has no avx512_bf16/AMX")
def test_bf16_autocast_runs_on_a_native_cpu(folders):
    rec = load_checkpoint(folders["sshr"])
    ref, out = rec(waves(), "fp32"), rec(waves(), "bf16")
    assert out.log_probs.dtype == torch.float32 and 0 < (out.log_probs - ref.log_probs).abs().max() < 0.5


def test_json_output_records_the_precision(folders, monkeypatch):
    monkeypatch.chdir(folders["root"])
    result = runner.invoke(app, ["decode", "a.wav", "--model", "sshr", "--device", "cpu", "--precision", "int8",
                                 "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["decoder"]["precision"] == "int8"
    assert "precision: int8" in result.stderr
