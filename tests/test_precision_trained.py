"""A trained tiny model decodes about as well in int8 and on onnxruntime as in fp32.

The tiny recipe is trained here on generated en+es speech (phonemes), long enough to emit text;
its test split is decoded with sshr fp32, sshr int8 and an ONNX fp32 export. ~3 minutes on 2 cores.
"""

from __future__ import annotations

import json

import jiwer
import pytest
from typer.testing import CliRunner

from sshr_cli.cli import app

STEPS = 900  # updates: the tiny recipe leaves the blank plateau by ~600 (dev PER 1.00 at 300, 0.60 at 600: tests/test_train_learns.py)
INT8_PER_POINTS = 2.0  # |PER int8 - PER fp32| in points on ~24 test utterances (one unit is ~0.3 points)
ONNX_SAME_TRANSCRIPTS = 0.99  # share of test utterances whose ONNX fp32 transcript equals PyTorch's

runner = CliRunner()


def per(rows: list[dict]) -> float:
    return jiwer.wer([r["units"] for r in rows], [r.get("pred_units") or "-" for r in rows])


@pytest.mark.slow
def test_int8_and_onnx_decode_a_trained_model_like_fp32(tmp_path, monkeypatch):
    from sshr_cli.data.synthetic import generate_commonvoice
    from sshr_cli.decode import DecodeOptions
    from sshr_cli.decode.run import decode_manifest
    from sshr_cli.hub import load_recognizer
    from sshr_cli.io import read_jsonl, write_jsonl

    monkeypatch.chdir(tmp_path)
    corpus = generate_commonvoice(tmp_path / "cv", ["en", "es"], clips_per_lang=40, seed=0, jobs=2)
    assert runner.invoke(app, ["prepare", "commonvoice", str(corpus), "--out", "data",
                               "--units", "phonemes"]).exit_code == 0
    trained = runner.invoke(app, ["finetune", "--config", "synthetic/tiny", "--data", "data", "--out", "exp/tiny",
                                  "--no-progress", "--max-steps", str(STEPS), "--set", f"train.eval_every={STEPS}"])
    assert trained.exit_code == 0, trained.output
    exported = runner.invoke(app, ["export", "onnx", "exp/tiny", "--out", "onnx"])
    assert exported.exit_code == 0, exported.output
    write_jsonl("test.jsonl", [r for lang in ("en", "es") for r in read_jsonl(f"data/{lang}/test.jsonl")])

    results = {}
    for name, model, precision in (("fp32", "exp/tiny", "fp32"), ("int8", "exp/tiny", "int8"),
                                   ("onnx", "onnx", "auto")):
        decode_manifest(load_recognizer(model), "test.jsonl", f"{name}.jsonl", DecodeOptions(precision=precision))
        results[name] = read_jsonl(f"{name}.jsonl")
    fp32, int8, onnx = (results[k] for k in ("fp32", "int8", "onnx"))
    assert per(fp32) < 0.95, "the trained model emits text"
    assert abs(per(int8) - per(fp32)) * 100 <= INT8_PER_POINTS, (per(int8), per(fp32))
    same = sum(a["pred_text"] == b["pred_text"] for a, b in zip(fp32, onnx)) / len(fp32)
    assert same >= ONNX_SAME_TRANSCRIPTS, same
    assert json.dumps(fp32[0]["id"]) == json.dumps(onnx[0]["id"])
