"""CPU inference paths side by side: speed (audio-s/s) and accuracy against fp32.

Speed, on the MMS-300M shape and a mid shape (12 x 768), random weights, the same clips for all:
HF ASR pipeline fp32 (batch 8, what users run instead), sshr fp32 / int8 / bf16 (bf16 only on
CPUs with avx512_bf16 or AMX; also bf16 with HF's conv layers instead of sshr's channels-last
feature encoder, model/fast_frontend.py, to show what that part is worth), sshr on onnxruntime
fp32 / int8. Rounds are interleaved (the
machine may be shared), medians reported, ratios against the pipeline.
Accuracy: frame-argmax agreement with sshr fp32 on the MMS-300M shape; and the PER of a tiny
model trained here (synthetic corpus, the tiny recipe) for every path, minus fp32's.

    python bench/decode_cpu.py [--shapes mms300m,mid] [--clips 8] [--steps 600 (0: no accuracy part)]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _result import result  # noqa: E402  (bench/ is on sys.path when run as a script)

MID_ENCODER = dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
ANCHOR = "HF pipeline fp32 (batch 8)"


def make_corpus(tmp: Path, clips: int, steps: int) -> tuple[Path, Path]:
    """Synthetic en+es corpus -> phoneme manifests -> the tiny recipe trained for `steps` updates."""
    from typer.testing import CliRunner

    from sshr_cli.cli import app
    from sshr_cli.data.synthetic import generate_commonvoice

    runner = CliRunner()
    corpus = generate_commonvoice(tmp / "cv", ["en", "es"], clips_per_lang=clips, seed=0, jobs=2)
    data = tmp / "data"
    r = runner.invoke(app, ["prepare", "commonvoice", str(corpus), "--out", str(data), "--units", "phonemes"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["finetune", "--config", "synthetic/tiny", "--data", str(data), "--out",
                            str(tmp / "exp/tiny"), "--no-progress", "--max-steps", str(steps),
                            "--set", f"train.eval_every={steps}"])
    assert r.exit_code == 0, r.output
    return data, tmp / "exp/tiny"


def speech_clips(tmp: Path, n: int) -> list[Path]:
    """n synthetic en/es utterances (espeak-ng through sshr's synthetic corpus), 16 kHz wav."""
    import soundfile as sf

    from sshr_cli.audio import load_audio
    from sshr_cli.data.synthetic import generate_commonvoice

    corpus = generate_commonvoice(tmp / "speed_cv", ["en", "es"], clips_per_lang=max(3, (n + 1) // 2), seed=1, jobs=2)
    clips = sorted(corpus.rglob("*.mp3"))[:n]
    for i, clip in enumerate(clips):
        sf.write(tmp / f"clip{i:02d}.wav", load_audio(clip), 16_000)
    return [tmp / f"clip{i:02d}.wav" for i in range(len(clips))]


def onnx_pair(model: Path, tmp: Path, name: str) -> tuple[Path, Path]:
    """fp32 export, then an int8 copy quantised from it (one trace instead of two)."""
    from sshr_cli.export import export_onnx
    from sshr_cli.export.onnx import quantize_onnx

    fp32, int8 = tmp / f"{name}_onnx", tmp / f"{name}_onnx_int8"
    export_onnx(model, fp32)
    shutil.copytree(fp32, int8)
    quantize_onnx(fp32 / "model.onnx", int8 / "model.onnx")
    config = json.loads((int8 / "sshr_onnx.json").read_text())
    (int8 / "sshr_onnx.json").write_text(json.dumps({**config, "precision": "int8"}))
    return fp32, int8


def paths(model: Path, tmp: Path, name: str, bf16: bool) -> dict:
    """name -> (recogniser, precision) for every sshr path."""
    from sshr_cli.hub import load_recognizer
    from sshr_cli.model.fast_frontend import use_hf_frontend

    fp32_onnx, int8_onnx = onnx_pair(model, tmp, name)
    out = {"sshr fp32": (load_recognizer(model), "fp32"), "sshr int8": (load_recognizer(model), "int8")}
    if bf16:
        out["sshr bf16"] = (out["sshr fp32"][0], "bf16")
        hf_convs = load_recognizer(model)
        use_hf_frontend(hf_convs.model)  # the same path without the channels-last feature encoder
        out["sshr bf16, HF conv layers"] = (hf_convs, "bf16")
    out["onnx fp32"] = (load_recognizer(fp32_onnx), "auto")
    out["onnx int8"] = (load_recognizer(int8_onnx), "auto")
    return out


def speed(shape: str, overrides: dict, clips: list[Path], tmp: Path, args, bf16: bool) -> dict:
    """Interleaved timed rounds of every path on one shape; returns the per-path recognisers."""
    import soundfile as sf
    from transformers import pipeline

    from helpers_decode import CHAR_VOCAB
    from sshr_cli.decode import DecodeOptions, transcribe
    from sshr_cli.model.tiny import save_tiny_ctc

    model = save_tiny_ctc(tmp / shape, CHAR_VOCAB, **overrides)
    recs = paths(model, tmp, shape, bf16)
    pipe = pipeline("automatic-speech-recognition", model=str(model), device="cpu")
    waves = [sf.read(str(c), dtype="float32")[0] for c in clips]
    audio_s = sum(len(w) for w in waves) / 16_000
    runs = {ANCHOR: lambda: pipe([{"raw": w, "sampling_rate": 16_000} for w in waves], batch_size=8)}
    for name, (rec, precision) in recs.items():
        runs[name] = lambda rec=rec, p=precision: transcribe(rec, clips, DecodeOptions(precision=p))
    times = {k: [] for k in runs}
    for round_ in range(args.repeats + 1):  # round 0 warms up (and quantises int8) and is not counted
        for name, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    rate = {k: audio_s / statistics.median(v[1:]) for k, v in times.items()}
    print(f"{shape}: {len(clips)} clips, {audio_s:.1f} s of audio, median of {args.repeats} interleaved rounds")
    for name, r in rate.items():
        print(f"  {name:28s} {r:7.2f} audio-s/s  {r / rate[ANCHOR]:5.2f}x the pipeline")
        if name != ANCHOR:
            result(f"decode_cpu {shape}", f"{name} audio-s/s", r, rate[ANCHOR], ANCHOR, ">=2 (some path, mms300m)",
                   unit="audio-s/s")
    return recs


def agreement(recs: dict, clips: list[Path]) -> None:
    """Frame-argmax agreement of every path with sshr fp32 (valid frames only)."""
    import soundfile as sf

    waves = [sf.read(str(c), dtype="float32")[0] for c in clips]
    ref_rec, _ = recs["sshr fp32"]
    ref = ref_rec(waves, "fp32")
    for name, (rec, precision) in recs.items():
        if name == "sshr fp32":
            continue
        out = rec(waves, precision)
        same = total = 0
        for b, n in enumerate(ref.lengths.tolist()):
            a = ref.log_probs[b, :n].argmax(-1).numpy()
            same, total = same + int((a == out.log_probs[b, :n].argmax(-1).numpy()).sum()), total + n
        print(f"  argmax agreement with fp32, {name}: {same / total:.4f}")
        result("decode_cpu mms300m", f"{name} frame-argmax agreement", same / total, 1.0, "sshr fp32", ">=0.95")


def accuracy(data: Path, run: Path, tmp: Path, bf16: bool) -> None:
    """PER of every path on the trained tiny model's test split; difference to fp32 in points."""
    import jiwer

    from sshr_cli.decode import DecodeOptions
    from sshr_cli.decode.run import decode_manifest

    recs = paths(run, tmp, "trained", bf16)
    manifests = sorted(data.glob("*/test.jsonl"))
    rows = [json.loads(line) for m in manifests for line in m.read_text().splitlines()]
    merged = tmp / "test.jsonl"
    merged.write_text("".join(json.dumps(r) + "\n" for r in rows))
    per, hyps = {}, {}
    for name, (rec, precision) in recs.items():
        out = tmp / f"hyps_{name.replace(' ', '_')}.jsonl"
        decode_manifest(rec, merged, out, DecodeOptions(precision=precision))
        preds = [json.loads(line) for line in out.read_text().splitlines()]
        hyps[name] = [p["pred_text"] for p in preds]
        per[name] = jiwer.wer([p["units"] for p in preds], [p.get("pred_units") or "-" for p in preds])
    same = sum(a == b for a, b in zip(hyps["sshr fp32"], hyps["onnx fp32"])) / len(rows)
    print(f"trained tiny model, {len(rows)} test utterances: PER " +
          ", ".join(f"{k} {100 * v:.2f}%" for k, v in per.items()))
    print(f"  onnx fp32 greedy transcripts equal to sshr fp32's: {100 * same:.1f}%")
    result("decode_cpu trained-tiny", "onnx fp32 transcripts equal to pytorch", same, 1.0, "sshr fp32", ">=0.99")
    for name, value in per.items():
        if name != "sshr fp32":
            result("decode_cpu trained-tiny", f"{name} PER minus fp32 (points)", 100 * (value - per["sshr fp32"]), 0.0,
                   "sshr fp32", "<=1 point", unit="points", ratio=value / max(per["sshr fp32"], 1e-9))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shapes", default="mms300m,mid")
    ap.add_argument("--clips", type=int, default=8, help="utterances timed per shape (synthetic speech)")
    ap.add_argument("--corpus-clips", type=int, default=60, help="synthetic clips per language (en, es)")
    ap.add_argument("--steps", type=int, default=600, help="updates of the tiny recipe (accuracy; 0: skip)")
    ap.add_argument("--repeats", type=int, default=1, help="timed rounds after the warm-up")
    ap.add_argument("--threads", type=int, default=None, help="default: the cores available")
    args = ap.parse_args()

    import logging
    import warnings

    import torch
    from transformers.utils import logging as hf_logging

    from sshr_cli.decode.runtime import set_threads
    from sshr_cli.model.precision import cpu_has_native_bf16
    from sshr_cli.model.tiny import MMS_300M_ENCODER

    warnings.filterwarnings("ignore")
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    logging.disable(logging.WARNING)  # the exporter's and quantiser's per-op notes
    threads, bf16 = set_threads(args.threads), cpu_has_native_bf16()
    print(f"torch {torch.__version__}, {threads} thread(s), native bf16: {bf16}")
    tmp = Path(tempfile.mkdtemp(prefix="bench_cpu_"))
    clips = speech_clips(tmp, args.clips)
    shapes = {"mms300m": MMS_300M_ENCODER, "mid": MID_ENCODER}
    for shape in filter(None, args.shapes.split(",")):
        recs = speed(shape, shapes[shape], clips, tmp, args, bf16)
        if shape == "mms300m":
            agreement(recs, clips[:4])
        del recs
    if args.steps:
        data, run = make_corpus(tmp, args.corpus_clips, args.steps)
        accuracy(data, run, tmp, bf16)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
