"""The whole `sshr finetune` loop's audio-s/s against the bare step's, same shapes (part of bench/gpu_all.sh).

    python bench/_gpu_loop.py --data DATA --encoder ENC --batch-seconds 96 --bare step.json \
        --variant default= --variant compile=train.compile=auto --variant workers1=data.num_workers=1

Runs sshr_cli.train.loop.finetune (the call behind `sshr finetune`: DataLoader workers decoding
the audio, autocast, the optimizer, the NaN guard, logging, the final evaluation and checkpoint)
on DATA, a prepared folder of fixed-length clips (bench/_gpu_data.py), for --steps updates with a
metrics row every --log-every. The loop's audio-s/s is the mean of its own metrics rows after the
first --skip-rows (warm-up: cuDNN/compile), so it includes the wait for data; `data_wait` is the
share of that time spent waiting for batches. Peak memory: torch.cuda.max_memory_allocated over
the run. The anchor is bench/_gpu_step.py's eager step for the same arch and batch (--bare JSON):
goal >= 90% for the default settings. Each variant is a run with extra --set overrides.
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _result import result  # noqa: E402

RECIPES = {"sshr": "commonvoice/sshr", "ctc": "commonvoice/baseline"}  # bench arch -> recipe
LOOP_GOAL = ">=0.90"


def overrides(args, seconds: float) -> list[str]:
    """The recipe made to match the bare step: the given encoder, bf16, encoder trained from update 1."""
    sets = [f"train.max_steps={args.steps}", f"train.log_every={args.log_every}", "train.eval_every=1000000",
            "train.freeze_encoder_steps=0", f"data.max_batch_seconds={seconds}", "data.max_batch_size=64",
            f"data.num_workers={args.workers}", f"train.precision={'bf16' if args.device == 'cuda' else 'fp32'}"]
    if args.encoder:
        sets.append(f"model.encoder={args.encoder}")
    if args.encoder_layers is not None and args.arch == "sshr":  # a small encoder: the recipe's layers scaled down
        n = args.encoder_layers
        sets += [f"model.lid_layer={max(1, n // 3)}", f"model.num_layers={n - 1}",
                 f"model.cross_ctc_layers=[{n - 1}]"]
    return sets


def run_loop(args, seconds: float, extra: list[str], out: Path) -> dict:
    from sshr_cli.config import load_recipe
    from sshr_cli.io import read_jsonl
    from sshr_cli.train.loop import FinetuneRequest, finetune

    recipe = load_recipe(RECIPES[args.arch], [*overrides(args, seconds), *extra])
    if args.device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    finetune(FinetuneRequest(recipe, Path(args.data), out, "unused", resume=False, show_progress=False))
    wall = time.perf_counter() - t0
    rows = [r for r in read_jsonl(out / "metrics.jsonl") if r["split"] == "train"]
    steady = rows[args.skip_rows:] or rows[-1:]
    return dict(audio_s_per_s=statistics.mean(r["audio_s_per_s"] for r in steady),
                data_wait=statistics.mean(r["data_wait"] for r in steady), padding=rows[-1]["padding"],
                rows=len(steady), wall_s=wall, first_row=rows[0]["audio_s_per_s"] if rows else None,
                peak_gib=torch.cuda.max_memory_allocated() / 2**30 if args.device == "cuda" else None)


def bare_rate(path: Path | None, arch: str, seconds: float) -> float | None:
    if path is None or not path.is_file():
        return None
    rows = json.loads(path.read_text())["rows"]
    return next((r["audio_s_per_s"] for r in rows if r["arch"] == arch and r["variant"] == "eager"
                 and r["batch_s"] == seconds), None)


def report(name: str, seconds: float, r: dict, bare: float | None, args) -> None:
    n = int(seconds // args.utterance_s)
    peak = f"{r['peak_gib']:.1f} GiB" if r["peak_gib"] is not None else "n/a"
    vs = f" = {100 * r['audio_s_per_s'] / bare:.0f}% of the bare step's {bare:.1f}" if bare else " (no bare figure)"
    print(f"loop {args.arch} {n} x {args.utterance_s:g} s {name:12s} {r['audio_s_per_s']:8.1f} audio-s/s{vs}; "
          f"data_wait {100 * r['data_wait']:.0f}%, padding {100 * r['padding']:.1f}%, peak {peak}, first row "
          f"{r['first_row']:.1f} audio-s/s, run {r['wall_s']:.0f} s ({r['rows']} rows timed)", flush=True)
    where = f"{args.arch}, {n} x {args.utterance_s:g} s, {name}, {args.device}"
    result("G1", f"finetune loop / bare step ({where})", r["audio_s_per_s"], bare, "bare step (eager)",
           LOOP_GOAL if name == "default" else "", "audio-s/s", f"data_wait {100 * r['data_wait']:.0f}%")
    if r["peak_gib"] is not None:
        result("G5", f"peak memory, finetune loop ({where})", r["peak_gib"], None, "", "", "GiB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="a prepared folder of fixed-length clips")
    p.add_argument("--encoder", help="encoder folder (default: the recipe's)")
    p.add_argument("--encoder-layers", type=int, help="its layer count when it is not 24 (scales the SSHR layers)")
    p.add_argument("--arch", choices=sorted(RECIPES), default="sshr")
    p.add_argument("--batch-seconds", type=float, nargs="+", default=[96.0])
    p.add_argument("--utterance-s", type=float, default=12.0, help="the clips' length (for the labels)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--log-every", type=int, default=5)
    p.add_argument("--skip-rows", type=int, default=2, help="metrics rows counted as warm-up")
    p.add_argument("--workers", type=int, default=8, help="data.num_workers unless a variant sets it")
    p.add_argument("--variant", action="append", default=[],
                   help="NAME=key=value[,key=value...] (recipe overrides); repeat; default: default=")
    p.add_argument("--variants-at", type=float, help="batch seconds the non-default variants run at (default: largest)")
    p.add_argument("--bare", type=Path, help="bench/_gpu_step.py's --json output (the anchor)")
    args = p.parse_args()
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the random encoder's load report, once per run
    hf_logging.disable_progress_bar()
    variants = dict(v.split("=", 1) for v in (args.variant or ["default="]))
    at = args.variants_at or max(args.batch_seconds)
    print(f"whole loop: finetune {RECIPES[args.arch]} on {args.data}, {args.steps} updates, {args.device}", flush=True)
    for seconds in args.batch_seconds:
        for name, sets in variants.items():
            if name != "default" and seconds != at:
                continue
            out = Path(tempfile.mkdtemp(prefix="sshr_loop_"))
            try:
                r = run_loop(args, seconds, [s for s in sets.split(",") if s], out / "run")
                report(name, seconds, r, bare_rate(args.bare, args.arch, seconds), args)
            except Exception as exc:  # noqa: BLE001  (report, go on with the next variant)
                print(f"loop {name} {seconds:g} s: FAILED {type(exc).__name__}: {str(exc)[:300]}", flush=True)
            finally:
                shutil.rmtree(out, ignore_errors=True)
                gc.collect()


if __name__ == "__main__":
    main()
