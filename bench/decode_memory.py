"""Peak memory (RSS) decoding 1 min vs 60 min of audio, each in its own process.

sshr reads long files window by window (soundfile seek), so its peak should barely move
with the file's length; transformers' pipeline with chunk_length_s loads the whole file
first, shown for reference (--no-pipeline to skip it).

    python bench/decode_memory.py [--minutes 60] [--no-pipeline]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from _result import result  # noqa: E402  (bench/ is on sys.path when run as a script)

OURS = """
import resource, sys, time
from transformers.utils import logging; logging.disable_progress_bar()
from sshr_cli.decode import transcribe
from sshr_cli.hub import load_recognizer
rec = load_recognizer(sys.argv[1])
t0 = time.perf_counter()
t = transcribe(rec, [sys.argv[2]])[0]
assert t.error is None, t.error
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, time.perf_counter() - t0, len(t.units))
"""
PIPELINE = """
import resource, sys, time
import soundfile as sf
from transformers import pipeline
from transformers.utils import logging; logging.disable_progress_bar(); logging.set_verbosity_error()
pipe = pipeline("automatic-speech-recognition", model=sys.argv[1])
t0 = time.perf_counter()
audio, rate = sf.read(sys.argv[2], dtype="float32")
text = pipe({"raw": audio, "sampling_rate": rate}, chunk_length_s=30, stride_length_s=5)["text"]
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, time.perf_counter() - t0, len(text))
"""


def tile(src: Path, dst: Path, minutes: float) -> None:
    """Repeat src to `minutes`, written block by block (16 kHz, 16-bit)."""
    import soundfile as sf

    wave, rate = sf.read(str(src), dtype="int16")
    need = int(minutes * 60 * rate)
    with sf.SoundFile(str(dst), "w", rate, 1, subtype="PCM_16") as f:
        while need > 0:
            f.write(wave[:need])
            need -= len(wave[:need])


def measure(script: str, model: Path, audio: Path) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", script, str(model), str(audio)], capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    rss, seconds, _ = out.stdout.split()[-3:]
    return float(rss), float(seconds)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--no-pipeline", action="store_true")
    args = ap.parse_args()

    from helpers_decode import CHAR_VOCAB, long_wav
    from sshr_cli.model.tiny import save_tiny_ctc

    tmp = Path(tempfile.mkdtemp(prefix="bench_mem_"))
    model = save_tiny_ctc(tmp / "model", CHAR_VOCAB)
    one = long_wav(tmp / "1min.wav", 60)
    tile(one, tmp / "long.wav", args.minutes)
    rows = [("sshr decode", OURS)] + ([] if args.no_pipeline else [("HF pipeline chunk_length_s=30", PIPELINE)])
    print(f"tiny model; {args.minutes:g} min vs 1 min, 16 kHz mono wav; peak RSS of a fresh process each "
          f"(imports and model included); seconds: decoding only, model loaded")
    for name, script in rows:
        short_rss, short_s = measure(script, model, one)
        long_rss, long_s = measure(script, model, tmp / "long.wav")
        print(f"{name:32s} 1 min: {short_rss:7.0f} MiB {short_s:6.1f} s | {args.minutes:g} min: {long_rss:7.0f} MiB "
              f"{long_s:6.1f} s | ratio {long_rss / short_rss:.2f}x memory")
        result("6", f"peak RSS, {args.minutes:g} min vs 1 min of audio ({name})", long_rss, short_rss,
               "the same tool on 1 min", "", "MiB")


if __name__ == "__main__":
    main()
