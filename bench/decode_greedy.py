"""Greedy decoding throughput: `sshr decode` (transcribe) vs transformers' ASR pipeline.

Same tiny random Wav2Vec2ForCTC folder, same 16 kHz wav files, both on the same device,
models loaded before the clock starts, audio file reading inside the clock for both.

    python bench/decode_greedy.py [--clips 60] [--device cpu|cuda] [--arch tiny|mms300m]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _result import result  # noqa: E402  (bench/ is on sys.path when run as a script)


def make_clips(folder: Path, n: int, data: Path | None = None) -> list[Path]:
    """n 16 kHz wav clips: spoken by espeak-ng, or read from a prepared folder's manifests (--data)."""
    import soundfile as sf

    if data is not None:
        return clips_from_manifests(folder, n, data)

    from helpers_decode import espeak
    from sshr_cli.audio import load_audio
    from sshr_cli.data.synthetic import load_sentences

    sentences = load_sentences("en") + load_sentences("de")
    paths = []
    for i in range(n):
        raw = espeak(sentences[i % len(sentences)], folder / "raw.wav", "de" if i % 2 else "en")
        sf.write(folder / f"clip{i:03d}.wav", load_audio(raw), 16_000)
        paths.append(folder / f"clip{i:03d}.wav")
    return paths


def clips_from_manifests(folder: Path, n: int, data: Path) -> list[Path]:
    """For machines without espeak-ng: the first n clips listed in DATA/*/train.jsonl, as 16 kHz wav."""
    import json

    import soundfile as sf

    from sshr_cli.audio import load_audio

    rows = [json.loads(line) for m in sorted(data.glob("*/train.jsonl")) for line in m.read_text().splitlines()]
    paths = []
    for i, row in enumerate(rows[:n]):
        sf.write(folder / f"clip{i:03d}.wav", load_audio(row["audio_filepath"]), 16_000)
        paths.append(folder / f"clip{i:03d}.wav")
    return paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=60)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--arch", default="tiny", choices=["tiny", "mms300m"])
    ap.add_argument("--pipeline-batch", type=int, default=8, help="batch_size for the second pipeline run")
    ap.add_argument("--max-batch-seconds", type=float, default=None, help="default: sshr decode's for the device")
    ap.add_argument("--repeats", type=int, default=3, help="timed rounds; the median of each is reported")
    ap.add_argument("--data", type=Path, default=None, help="take clips from this prepared folder (no espeak-ng)")
    args = ap.parse_args()

    import soundfile as sf
    import torch
    from transformers import pipeline
    from transformers.utils import logging as hf_logging

    from helpers_decode import CHAR_VOCAB
    from sshr_cli.decode import DecodeOptions, transcribe
    from sshr_cli.hub import load_recognizer
    from sshr_cli.model.tiny import MMS_300M_ENCODER, save_tiny_ctc

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    torch.manual_seed(0)
    tmp = Path(tempfile.mkdtemp(prefix="bench_greedy_"))
    model = save_tiny_ctc(tmp / "model", CHAR_VOCAB, **(MMS_300M_ENCODER if args.arch == "mms300m" else {}))
    clips = make_clips(tmp, args.clips, args.data)
    audio_s = sum(sf.info(str(c)).duration for c in clips)
    device = torch.device(args.device)

    rec = load_recognizer(model, device=args.device)
    # On a GPU both sides run bf16 (sshr decode's default there; the pipeline is given dtype=bf16)
    half = args.device.startswith("cuda")
    pipe = pipeline("automatic-speech-recognition", model=str(model), device=device,
                    **({"dtype": torch.bfloat16} if half else {}))

    def load(c):
        return {"raw": sf.read(str(c), dtype="float32")[0], "sampling_rate": 16_000}

    runs = {
        "ours": lambda: transcribe(rec, clips, DecodeOptions(max_batch_s=args.max_batch_seconds)),
        "pipe": lambda: [pipe(load(c))["text"] for c in clips],
        "pipe_b": lambda: [o["text"] for o in pipe([load(c) for c in clips], batch_size=args.pipeline_batch)],
    }
    times, outputs = {k: [] for k in runs}, {}
    for _ in range(args.repeats + 1):  # the first round warms up and is not counted
        for name, fn in runs.items():  # interleaved, so load from other processes hits all alike
            t0 = time.perf_counter()
            outputs[name] = fn()
            times[name].append(time.perf_counter() - t0)
    t_ours, t_pipe, t_pipe_b = (statistics.median(times[k][1:]) for k in ("ours", "pipe", "pipe_b"))
    ours, theirs, theirs_b = outputs["ours"], outputs["pipe"], outputs["pipe_b"]

    same = sum(a.text == " ".join(b.split()) for a, b in zip(ours, theirs))
    print(f"device {args.device} ({'bf16' if half else 'fp32'} both sides), arch {args.arch}, {len(clips)} clips, {audio_s:.1f} s of audio, "
          f"median of {args.repeats} interleaved rounds (shared machine: other load hits all three alike)")
    print(f"sshr transcribe (batched by duration): {t_ours:7.2f} s  {audio_s / t_ours:8.1f} x real time")
    print(f"transformers pipeline, one call a file: {t_pipe:7.2f} s  {audio_s / t_pipe:8.1f} x real time"
          f"  -> sshr is {t_pipe / t_ours:.1f}x faster")
    print(f"transformers pipeline, batch_size={args.pipeline_batch}:   {t_pipe_b:7.2f} s  {audio_s / t_pipe_b:8.1f} x "
          f"real time  -> sshr is {t_pipe_b / t_ours:.1f}x faster")
    for name, t in (("one call a file", t_pipe), (f"batch_size={args.pipeline_batch}", t_pipe_b)):
        result("4", f"greedy decode ({args.arch}, {args.device})", audio_s / t_ours, audio_s / t,
               f"transformers pipeline, {name}", ">=2", "x real time", f"{len(clips)} clips, {audio_s:.0f} s")
    print(f"identical transcripts (vs one call a file): {same}/{len(clips)}; "
          f"pipeline batched vs unbatched identical: {sum(a == b for a, b in zip(theirs, theirs_b))}/{len(clips)}")


if __name__ == "__main__":
    main()
