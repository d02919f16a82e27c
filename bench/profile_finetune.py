"""Where an `sshr finetune` update spends its time: torch.profiler over the real training loop.

    python bench/profile_finetune.py --data DATA [--config synthetic/tiny] [--encoder DIR] \
        [--set data.max_batch_seconds=96 ...] [--steps 30] [--device cuda]

Runs the Trainer (the code `sshr finetune` runs) for --warmup updates, then --steps updates
under torch.profiler, and prints the ops with the most self device time and the most self CPU
time, plus the wall time per update. Everything is recorded in the same process, so the figures
are the loop's own: data loading waits show up as DataLoader frames in the CPU table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    import torch
    from torch.profiler import ProfilerActivity, profile

    from sshr_cli.config import load_recipe
    from sshr_cli.train import distributed
    from sshr_cli.train.loop import FinetuneRequest, Trainer

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="a prepared data folder")
    p.add_argument("--config", default="synthetic/tiny")
    p.add_argument("--encoder", help="encoder folder (default: the recipe's)")
    p.add_argument("--set", action="append", default=[], help="recipe overrides, as for sshr finetune")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=10, help="updates before profiling starts (at least 1)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--rows", type=int, default=25)
    args = p.parse_args()
    if args.warmup < 1 or args.steps < 1:
        p.error("--warmup and --steps must be at least 1")

    total = args.warmup + args.steps
    sets = [*args.set, f"train.max_steps={total}", f"train.eval_every={total + 1}", f"train.log_every={total + 1}"]
    if args.encoder:
        sets.append(f"model.encoder={args.encoder}")
    recipe = load_recipe(args.config, sets)
    info = distributed.setup(prefer_cuda=args.device == "cuda")
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(FinetuneRequest(recipe, Path(args.data), Path(tmp) / "run", "unused",
                                          show_progress=False), info)
        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if args.device == "cuda" else [])
        prof = profile(activities=activities)
        stamps: dict[int, float] = {}  # update -> end time (a NaN-skipped update reports its step again)

        def on_step(step: int) -> None:
            if args.device == "cuda":
                torch.cuda.synchronize()
            if step in stamps:
                return
            stamps[step] = time.perf_counter()
            if step == args.warmup:
                prof.start()
            if step == total:
                prof.stop()

        trainer.run(on_step=on_step)
    per_update = (stamps[total] - stamps[args.warmup]) / args.steps
    print(f"{args.config} on {args.device}: {1000 * per_update:.1f} ms per update (wall, {args.steps} updates "
          f"after {args.warmup} warm-up), overrides {args.set}")
    if args.device == "cuda":
        print(prof.key_averages().table(sort_by="self_cuda_time_total", row_limit=args.rows, max_name_column_width=60))
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows, max_name_column_width=60))


if __name__ == "__main__":
    main()
