"""SSHR training-step time against the plain CTC baseline, on the same encoder and batch.

    python bench/train_step.py                                   # tiny encoder, CPU, fp32
    python bench/train_step.py --shape mms-300m --device cuda --precision bf16 --batch-seconds 200

Both models are SSHRForCTC (arch=sshr with the recipe's layers, arch=ctc = HF Wav2Vec2ForCTC),
built around the same randomly initialised encoder weights. A step is what sshr finetune does:
forward under autocast, backward, gradient clipping, AdamW. Prints per-arch step time, audio
seconds per second, model FLOPs utilisation (FLOPs counted with torch's FlopCounterMode on one
step; peak from the GPU's name) and peak memory, then the SSHR/baseline ratio of median step
times (goal <= 1.10). On CPU the two archs' steps are interleaved. --shape mms-prop keeps
MMS-300M's proportions at a CPU-sized width (python bench/train_step.py --shape mms-prop).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
from _result import result  # noqa: E402  (bench/ is on sys.path when run as a script)

# encoder: overrides of MMS-300M's config (of the tiny encoder's for "tiny"); sshr: the SSHR layer settings (the baseline keeps every layer)
SHAPES = {"tiny": dict(encoder={}, sshr=dict(lid_layer=2, num_layers=4, cross_ctc_layers=(3, 4))),
          # MMS-300M (its dropouts, norms, conv strides) at a CPU size: 1/4 of its widths, half its depth,
          # the recipe's SSHR layers scaled alike (LID after 1/3, drop the last, Cross-CTC on the last 3)
          "mms-prop": dict(encoder=dict(hidden_size=256, num_hidden_layers=12, num_attention_heads=4,
                                        intermediate_size=1024, conv_dim=(128,) * 7, num_conv_pos_embeddings=64,
                                        num_conv_pos_embedding_groups=4),
                           sshr=dict(lid_layer=4, num_layers=11, cross_ctc_layers=(9, 10, 11))),
          "mms-300m": dict(encoder={}, sshr=dict(lid_layer=8, num_layers=22, cross_ctc_layers=(18, 20, 22)))}
PEAK_BF16_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L40S": 362e12, "A10G": 125e12}  # dense
UTTERANCE_S = 12.0  # seconds per utterance in the benchmark batch
N_LANGS, VOCAB_UNITS = 8, 60


def encoder(shape: str):
    from transformers import Wav2Vec2Model

    from sshr_cli.model.tiny import MMS_300M_ENCODER, encoder_config

    torch.manual_seed(0)
    base = {} if shape == "tiny" else MMS_300M_ENCODER
    cfg = encoder_config(True, **{**base, **SHAPES[shape]["encoder"]})
    return Wav2Vec2Model(cfg)


def build(arch: str, enc, shape: str):
    from sshr_cli.model.config import SSHRConfig
    from sshr_cli.model.sshr import SSHRForCTC
    from sshr_cli.text.vocab import Vocab

    vocab = Vocab.build([[f"u{i}" for i in range(VOCAB_UNITS)]])
    langs = tuple(f"l{i}" for i in range(N_LANGS))
    extra = SHAPES[shape]["sshr"] if arch == "sshr" else {}
    config = SSHRConfig(arch=arch, languages=langs, **extra)
    torch.manual_seed(1)
    return SSHRForCTC(copy.deepcopy(enc), config, vocab)


def batch(batch_seconds: float, device: str):
    n = max(1, int(batch_seconds // UTTERANCE_S))
    samples = int(UTTERANCE_S * 16000)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, samples, generator=g)  # [B, S]
    mask = torch.ones(n, samples, dtype=torch.long)
    labels = torch.randint(3, 3 + VOCAB_UNITS, (n, int(UTTERANCE_S * 12)), generator=g)  # ~12 units/s
    langs = torch.randint(0, N_LANGS, (n,), generator=g)
    return [t.to(device) for t in (x, mask, labels, langs)], n * UTTERANCE_S


def step_fn(model, opt, tensors, amp_dtype):
    x, mask, labels, langs = tensors

    def step():
        ctx = torch.autocast("cuda", dtype=amp_dtype) if amp_dtype else torch.autocast("cpu", enabled=False)
        with ctx:
            out = model(input_values=x, attention_mask=mask, labels=labels, lang_ids=langs)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)

    return step


def prepare(arch, enc, args, tensors):
    """A built model and its step function, warmed up; FLOPs counted on one step."""
    from torch.utils.flop_counter import FlopCounterMode

    model = build(arch, enc, args.shape).to(args.device).train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5, fused=True)  # as finetune
    amp = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(args.precision) if args.device.startswith("cuda") else None
    step = step_fn(model, opt, tensors, amp)
    for _ in range(args.warmup):
        step()
    with FlopCounterMode(display=False) as counter:
        step()
    return step, counter.get_total_flops()


def measure(enc, args, tensors, audio_s) -> dict:
    """Both archs, their timed steps interleaved (ctc, sshr, ctc, ...) so load from other processes hits
    both alike; the median step time of each. On GPU the archs run one after the other (peak memory)."""
    cuda = args.device.startswith("cuda")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    archs = ("ctc", "sshr")
    times, cpu = {a: [] for a in archs}, {a: [] for a in archs}
    flops, peak = {}, {}

    def timed(arch, step):
        sync()
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        sync()
        times[arch].append(time.perf_counter() - t0)
        cpu[arch].append(time.process_time() - c0)  # this process's CPU seconds: steadier on a shared machine

    if cuda:
        for arch in archs:
            step, flops[arch] = prepare(arch, enc, args, tensors)
            torch.cuda.reset_peak_memory_stats()
            for _ in range(args.steps):
                timed(arch, step)
            peak[arch] = torch.cuda.max_memory_allocated() / 2**30
            del step
    else:
        steps = {}
        for arch in archs:
            steps[arch], flops[arch] = prepare(arch, enc, args, tensors)
            peak[arch] = float("nan")
        for _ in range(args.steps):
            for arch in archs:
                timed(arch, steps[arch])
    return {a: dict(step_s=statistics.median(times[a]), audio_s_per_s=audio_s / statistics.median(times[a]),
                    flops=flops[a], peak_gib=peak[a], all_s=times[a], cpu_s=statistics.median(cpu[a]))
            for a in archs}


def mfu(flops: float, step_s: float, device: str) -> str:
    if not device.startswith("cuda"):
        return "n/a (CPU)"
    name = torch.cuda.get_device_name()
    peak = next((v for k, v in PEAK_BF16_FLOPS.items() if k in name), None)
    return f"{100 * flops / step_s / peak:.1f}%" if peak else f"n/a ({name}: peak unknown)"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", choices=sorted(SHAPES), default="tiny")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--precision", choices=["bf16", "fp16", "fp32"], default="bf16")
    p.add_argument("--batch-seconds", type=float, default=48.0, help="padded audio seconds per batch")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    args = p.parse_args()
    enc = encoder(args.shape)
    tensors, audio_s = batch(args.batch_seconds, args.device)
    print(f"shape {args.shape}, device {args.device}"
          f"{' (' + torch.cuda.get_device_name() + ')' if args.device.startswith('cuda') else ''}, "
          f"precision {args.precision if args.device.startswith('cuda') else 'fp32'}, "
          f"batch {len(tensors[0])} x {UTTERANCE_S:g} s, {args.steps} timed steps per arch"
          f"{'' if args.device.startswith('cuda') else ' (interleaved)'}")
    results = measure(enc, args, tensors, audio_s)
    for arch, r in results.items():
        print(f"{arch:5s} step {r['step_s'] * 1000:8.1f} ms  {r['audio_s_per_s']:8.1f} audio-s/s  "
              f"{r['flops'] / 1e9:9.1f} GFLOP/step  MFU {mfu(r['flops'], r['step_s'], args.device)}  "
              f"peak {r['peak_gib']:.1f} GiB  (median of {' '.join(f'{t * 1000:.0f}' for t in r['all_s'])} ms)")
    if not args.device.startswith("cuda"):
        print(f"CPU seconds per step (all threads of this process; less sensitive to other load): ctc "
              f"{results['ctc']['cpu_s']:.2f}, sshr {results['sshr']['cpu_s']:.2f}, ratio "
              f"{results['sshr']['cpu_s'] / results['ctc']['cpu_s']:.2f}x")
    print(f"SSHR / baseline median step time: {results['sshr']['step_s'] / results['ctc']['step_s']:.2f}x (goal <= 1.10)")
    where = f"{args.shape}, {args.device}, {args.precision if args.device.startswith('cuda') else 'fp32'}"
    result("2", f"SSHR/baseline step time ({where})", 1000 * results["sshr"]["step_s"], 1000 * results["ctc"]["step_s"],
           "our plain-CTC baseline", "<=1.10", "ms/step",
           "; ".join(f"{a}: {r['audio_s_per_s']:.1f} audio-s/s, MFU {mfu(r['flops'], r['step_s'], args.device)}"
                     for a, r in results.items()))


if __name__ == "__main__":
    main()
