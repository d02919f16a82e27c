"""The bare training step at MMS-300M shape, and the speed levers side by side (part of bench/gpu_all.sh).

    python bench/_gpu_step.py --shape mms-300m --batch-seconds 96 192 --json step.json      # on a GPU
    python bench/_gpu_step.py --shape tiny --batch-seconds 24 --steps 2 --warmup 1          # CPU, fp32

A step is what `sshr finetune` does (bench/train_step.py's model, batch and loop, with the loop's
own autocast and attention kernels from sshr_cli.train.setup): forward, backward, gradient
clipping, fused AdamW. For each arch and batch (utterances of 12 s): median step time, audio-s/s,
MFU and peak memory (torch.cuda.max_memory_allocated since the variant started, model and
optimizer state included). FLOPs: torch.utils.flop_counter.FlopCounterMode over one eager step
(forward + backward; the frozen conv front end has no backward; the optimizer is not counted);
an analytic count (6 x transformer-layer parameters x frames + attention) is printed beside it as a
check. The same count is used for every variant of a batch (compiled code does the same maths);
for the 2x batch it is doubled (FLOPs are linear in the batch size at a fixed length).

Levers, at --lever-seconds only (default: the largest batch), each against the eager step:
  foreach      AdamW(foreach=True) instead of fused (what fused saves)
  frontend     share of the step spent in the conv feature encoder's forward (what a faster or
               precomputed front end could save at most; it is frozen, so it has no backward)
  compile      sshr_cli.train.speed.compile_regions, mode auto (= train.compile=auto)
  compile-static  the same, dynamic=False (fixed shapes, as with train.pad_to_multiple_s)
  cudagraphs   regions compiled with mode="reduce-overhead" (CUDA graphs; GPU only)
  ckpt-2x      gradient checkpointing (model.gradient_checkpointing) at twice the batch
Each variant runs under try/except: a failure (or out-of-memory) is printed and the rest go on.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _result import result  # noqa: E402
from train_step import N_LANGS, PEAK_BF16_FLOPS, VOCAB_UNITS, build, encoder  # noqa: E402

LEVERS = ("foreach", "frontend", "compile", "compile-static", "cudagraphs", "ckpt-2x")
MFU_GOAL = ">=0.35"  # issue 21, at 16 x 12 s
MFU_GOAL_SECONDS = 192.0


def peak_flops() -> tuple[float | None, str]:
    if not torch.cuda.is_available():
        return None, "cpu"
    name = torch.cuda.get_device_name()
    return next((v for k, v in PEAK_BF16_FLOPS.items() if k in name), None), name


def batch(batch_seconds: float, args):
    """Random utterances of --utterance-s seconds, as many as fit: ([x, mask, labels, langs], audio seconds)."""
    n = max(1, int(batch_seconds // args.utterance_s))
    samples = int(args.utterance_s * 16000)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, samples, generator=g)  # [B, S]
    mask = torch.ones(n, samples, dtype=torch.long)
    labels = torch.randint(3, 3 + VOCAB_UNITS, (n, int(args.utterance_s * 12)), generator=g)  # ~12 units/s
    langs = torch.randint(0, N_LANGS, (n,), generator=g)
    return [t.to(args.device) for t in (x, mask, labels, langs)], n * args.utterance_s


class Point:
    """One model on one batch: a step function and what it needs."""

    def __init__(self, model, tensors, audio_s, args, foreach=False, graphs=False):
        from sshr_cli.train.setup import autocast

        self.model, self.tensors, self.audio_s, self.args, self.graphs = model, tensors, audio_s, args, graphs
        amp = torch.bfloat16 if args.device.startswith("cuda") and args.precision == "bf16" else None
        self.ctx = lambda: autocast(amp, args.device)  # noqa: E731  (finetune's: bf16 + flash/efficient SDPA)
        params = [p for p in model.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(params, lr=1e-5, **({"foreach": True} if foreach else {"fused": True}))

    def step(self) -> None:
        x, mask, labels, langs = self.tensors
        if self.graphs:  # a new iteration for CUDA graph trees (outputs of the last one may be overwritten)
            torch.compiler.cudagraph_mark_step_begin()
        with self.ctx():
            out = self.model(input_values=x, attention_mask=mask, labels=labels, lang_ids=langs)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)

    def flops(self) -> float:
        from torch.utils.flop_counter import FlopCounterMode

        with FlopCounterMode(display=False) as counter:
            self.step()
        return float(counter.get_total_flops())


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def timed(fn, args) -> list[float]:
    for _ in range(args.warmup):
        fn()
    times = []
    for _ in range(args.steps):
        sync(args.device)
        t0 = time.perf_counter()
        fn()
        sync(args.device)
        times.append(time.perf_counter() - t0)
    return times


def analytic_flops(model, tensors) -> float:
    """6 x (transformer-layer parameters) x frames + attention (12 x layers x B x T^2 x D), fwd + bwd."""
    x, mask = tensors[0], tensors[1]
    frames = int(model.output_lengths(mask).sum())  # B x T
    layers = model.encoder_model.encoder.layers
    n_params = sum(p.numel() for p in layers.parameters())
    d, t = model.encoder_config.hidden_size, frames / x.shape[0]
    return 6 * n_params * frames + 12 * len(layers) * frames * t * d


def reset_peak(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_gib(device: str) -> float | None:
    return torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None


def row(arch, seconds, variant, times, audio_s, flops, args, **extra) -> dict:
    step_s = statistics.median(times)
    peak, _ = peak_flops()
    return dict(arch=arch, batch_s=seconds, utterances=int(seconds // args.utterance_s), variant=variant,
                step_ms=1000 * step_s, audio_s_per_s=audio_s / step_s, flops=flops,
                mfu=flops / step_s / peak if peak else None, peak_gib=peak_gib(args.device), **extra)


def measure_eager(arch, enc, seconds, args) -> tuple[dict, object]:
    reset_peak(args.device)
    model = build(arch, enc, args.shape).to(args.device).train()
    tensors, audio_s = batch(seconds, args)
    point = Point(model, tensors, audio_s, args)
    point.step()  # warm-up before counting (lazy init, kernel selection)
    flops = point.flops()
    times = timed(point.step, args)
    r = row(arch, seconds, "eager", times, audio_s, flops, args, analytic_flops=analytic_flops(model, tensors))
    return r, point


def lever(name, base: Point, eager: dict, args) -> dict:
    """One lever at the eager point's batch (ckpt-2x: twice that batch) on a copy of its model."""
    from sshr_cli.train.speed import compile_regions, regions

    arch, seconds = eager["arch"], eager["batch_s"]
    reset_peak(args.device)
    if name == "frontend":
        fe = base.model.encoder_model.feature_extractor
        x = base.tensors[0]

        def front():
            with torch.no_grad(), base.ctx():
                fe(x)
        times = timed(front, args)
        share = statistics.median(times) / (eager["step_ms"] / 1000)
        return dict(eager, variant=name, frontend_ms=1000 * statistics.median(times), frontend_share=share,
                    peak_gib=peak_gib(args.device))
    model = copy.deepcopy(base.model)
    tensors, audio_s, flops = base.tensors, base.audio_s, eager["flops"]
    if name in ("compile", "compile-static"):
        compile_regions(model, "auto" if name == "compile" else "static")
    elif name == "cudagraphs":
        if not args.device.startswith("cuda"):
            raise RuntimeError("CUDA graphs need a GPU")
        for m in regions(model):
            m.compile(mode="reduce-overhead", dynamic=False)
    elif name == "ckpt-2x":
        from sshr_cli.model.encoder import enable_checkpointing

        enable_checkpointing(model.encoder_model)
        tensors, audio_s = batch(2 * seconds, args)
        flops, seconds = 2 * flops, 2 * seconds
    point = Point(model, tensors, audio_s, args, foreach=name == "foreach", graphs=name == "cudagraphs")
    t0 = time.perf_counter()
    point.step()  # first call: compiles where compiled
    first_s = time.perf_counter() - t0
    return row(arch, seconds, name, timed(point.step, args), audio_s, flops, args, first_step_s=first_s)


def show(r: dict, args) -> None:
    mfu = f"{100 * r['mfu']:.1f}%" if r.get("mfu") is not None else "n/a"
    peak = f"{r['peak_gib']:.1f} GiB" if r.get("peak_gib") is not None else "n/a"
    extra = f"  analytic {r['analytic_flops'] / 1e9:.1f} GFLOP" if "analytic_flops" in r else ""
    extra += f"  first step {r['first_step_s']:.1f} s" if "first_step_s" in r else ""
    extra += f"  front end {r['frontend_ms']:.1f} ms = {100 * r['frontend_share']:.0f}% of a step" \
        if "frontend_share" in r else ""
    print(f"{r['arch']:4s} {r['utterances']:3d} x {args.utterance_s:g} s  {r['variant']:14s} {r['step_ms']:8.1f} ms  "
          f"{r['audio_s_per_s']:8.1f} audio-s/s  {r['flops'] / 1e9:9.1f} GFLOP (FlopCounterMode)  MFU {mfu}  "
          f"peak {peak}{extra}", flush=True)


def report(r: dict, rows: list[dict], args) -> None:
    """The RESULT lines of one row, printed as soon as it is measured (a part cut by its time limit
    keeps what it had); the JSON file is rewritten with every row so far."""
    total = torch.cuda.get_device_properties(0).total_memory / 2**30 if args.device.startswith("cuda") else None
    _, gpu = peak_flops()
    if args.json:
        args.json.write_text(json.dumps({"gpu": gpu, "rows": rows}, indent=1), encoding="utf-8")
    where = f"{r['arch']}, {r['utterances']} x {args.utterance_s:g} s, {gpu}"
    if r["variant"] == "eager":
        goal = MFU_GOAL if r["batch_s"] == MFU_GOAL_SECONDS else ""
        result("G2", f"MFU, bare step ({where})", r["mfu"], 1.0 if r["mfu"] is not None else None,
               "peak dense bf16 FLOP/s", goal, "fraction of peak",
               f"FLOPs by torch FlopCounterMode: {r['flops'] / 1e9:.1f} GFLOP/step (analytic "
               f"{r['analytic_flops'] / 1e9:.1f}); {r['audio_s_per_s']:.0f} audio-s/s, {r['step_ms']:.1f} ms")
        result("G5", f"peak memory, bare step ({where})", r["peak_gib"], total, "the GPU's memory", "", "GiB")
    elif r["variant"] == "frontend":
        result("L", f"conv front end's share of a step ({where})", r["frontend_ms"], r["step_ms"],
               "the eager step", "", "ms", "the most a faster or precomputed front end could save")
    else:
        result("L", f"lever {r['variant']} vs eager ({where})", r["audio_s_per_s"], eager_of(rows, r),
               "eager step (today's finetune)", "", "audio-s/s",
               f"peak {r['peak_gib']:.1f} GiB" if r["peak_gib"] is not None else None)


def eager_of(rows, r) -> float:
    base = r["batch_s"] / 2 if r["variant"] == "ckpt-2x" else r["batch_s"]
    return next(e["audio_s_per_s"] for e in rows if e["variant"] == "eager" and e["arch"] == r["arch"]
                and e["batch_s"] == base)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", choices=["tiny", "mms-prop", "mms-300m"], default="tiny")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--precision", choices=["bf16", "fp32"], default="bf16", help="on a GPU; CPU runs fp32")
    p.add_argument("--batch-seconds", type=float, nargs="+", default=[96.0, 192.0])
    p.add_argument("--utterance-s", type=float, default=12.0, help="length of each random utterance")
    p.add_argument("--archs", default="sshr,ctc")
    p.add_argument("--levers", default=",".join(LEVERS), help=f"comma-separated, from {LEVERS}; '' for none")
    p.add_argument("--lever-seconds", type=float, help="the batch the levers run at (default: the largest)")
    p.add_argument("--lever-arch", default="sshr")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--json", type=Path, help="also write the rows here (read by bench/_gpu_loop.py)")
    args = p.parse_args()
    levers = [name for name in args.levers.split(",") if name]
    unknown = set(levers) - set(LEVERS)
    if unknown:
        p.error(f"unknown lever(s) {sorted(unknown)}; choose from {LEVERS}")
    lever_s = args.lever_seconds or max(args.batch_seconds)
    precision = args.precision if args.device.startswith("cuda") else "fp32"
    print(f"bare training step: shape {args.shape}, device {args.device} ({peak_flops()[1]}), {precision}, "
          f"torch {torch.__version__}; FLOPs by torch FlopCounterMode (analytic count beside it)", flush=True)
    enc = encoder(args.shape)
    rows = []
    for arch in args.archs.split(","):
        for seconds in args.batch_seconds:
            try:
                eager, point = measure_eager(arch, enc, seconds, args)
            except Exception as exc:  # noqa: BLE001  (report, go on with the next point)
                print(f"{arch} {seconds:g} s eager: FAILED {type(exc).__name__}: {str(exc)[:300]}", flush=True)
                continue
            rows.append(eager)
            show(eager, args)
            report(eager, rows, args)
            for name in levers if (arch == args.lever_arch and seconds == lever_s) else []:
                try:
                    rows.append(lever(name, point, eager, args))
                    show(rows[-1], args)
                    report(rows[-1], rows, args)
                except Exception as exc:  # noqa: BLE001
                    print(f"{arch} {seconds:g} s {name}: FAILED {type(exc).__name__}: {str(exc)[:300]}", flush=True)
                reset_peak(args.device)
            del point


if __name__ == "__main__":
    main()
