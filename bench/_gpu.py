"""The GPU benchmark behind bench/gpu.sh: MMS-300M-shaped random SSHR vs the plain-CTC baseline.

No download: the encoder is built from sshr_cli.model.tiny.MMS_300M_ENCODER (facebook/mms-300m's
architecture) with random weights, so speed and memory are those of the real model while the
outputs are meaningless. Per architecture it reports, for training in bf16 autocast with AdamW:
step time, audio-s/s, MFU and peak memory; and greedy decode RTF (forward + argmax, no file I/O).

MFU = model FLOPs per step / step time / peak FLOP/s of the GPU, with
    model FLOPs per step = 6 * P * F          (training: forward 2PF + backward 4PF)
    P = trainable parameters outside the conv front end (transformer layers, projections, heads)
    F = encoder frames in the batch (50 per second of audio)
The frozen conv front end (about 5 GFLOP per audio second, forward only) and attention's
T^2 terms are left out, so this MFU is a slight underestimate.

    python bench/_gpu.py [--tiny] [--batch 8] [--seconds 15] [--steps 10] [--peak-tflops 989]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

FRAMES_PER_S = 50  # wav2vec2 conv stride 320 at 16 kHz
SAMPLE_RATE = 16_000
PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0, "A10G": 125.0}  # dense
N_UNITS = 60  # phoneme inventory size, about Common Voice's 8 languages
LANGS = ("en", "de", "fr", "es", "it", "nl", "pl", "sv")


def peak_flops(device_name: str, override: float | None) -> float | None:
    if override:
        return override * 1e12
    for key, tflops in PEAK_BF16_TFLOPS.items():
        if key in device_name:
            return tflops * 1e12
    return None


def archs(tiny: bool) -> dict:
    from sshr_cli.model.config import SSHRConfig

    if tiny:  # 4 layers
        sshr = SSHRConfig(lid_layer=2, num_layers=3, cross_ctc_layers=(2, 3), languages=LANGS)
    else:  # the paper's setting on 24 layers
        sshr = SSHRConfig(lid_layer=8, num_layers=22, cross_ctc_layers=(18, 20, 22), languages=LANGS)
    return {"baseline": SSHRConfig(arch="ctc", lid_layer=None, num_layers=None, cross_ctc_layers=(),
                                   inter_ctc_weight=0.0, lid_weight=0.0, languages=LANGS),
            "sshr": sshr}


def build(encoder_dir: Path, config, device: str):
    from sshr_cli.model.sshr import SSHRForCTC
    from sshr_cli.text.vocab import Vocab

    mapping = {"<pad>": 0, "<unk>": 1, "|": 2, **{f"p{i}": i + 3 for i in range(N_UNITS)}}
    model = SSHRForCTC.from_encoder(encoder_dir, config, Vocab.from_mapping(mapping))
    model.freeze_feature_encoder()
    return model.to(device)


def trainable_non_conv(model) -> int:
    conv = {id(p) for n, p in model.named_parameters() if "feature_extractor" in n}
    return sum(p.numel() for p in model.parameters() if p.requires_grad and id(p) not in conv)


def batch(args, device: str):
    import torch

    g = torch.Generator().manual_seed(0)
    samples = int(args.seconds * SAMPLE_RATE)
    x = torch.randn(args.batch, samples, generator=g).to(device)  # [B, S]
    mask = torch.ones(args.batch, samples, dtype=torch.long, device=device)
    n_labels = int(args.seconds * 8)  # ~8 phones per second, well under the 50 frames/s
    labels = torch.randint(3, 3 + N_UNITS, (args.batch, n_labels), generator=g).to(device)
    lang_ids = torch.randint(0, len(LANGS), (args.batch,), generator=g).to(device)
    return x, mask, labels, lang_ids


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def train_steps(model, args, device: str, dtype) -> float:
    """Median seconds per optimizer step after warm-up."""
    import torch

    x, mask, labels, lang_ids = batch(args, device)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5)
    model.train()
    times = []
    for i in range(args.warmup + args.steps):
        sync(device)
        t0 = time.perf_counter()
        with torch.autocast(device_type=device.split(":")[0], dtype=dtype, enabled=dtype != torch.float32):
            out = model(input_values=x, attention_mask=mask, labels=labels, lang_ids=lang_ids)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync(device)
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def decode_rtf(model, args, device: str, dtype) -> float:
    """Compute seconds per audio second for greedy decoding: forward in eval mode + argmax."""
    import torch

    x, mask, _, _ = batch(args, device)
    model.eval()
    times = []
    with torch.inference_mode(), torch.autocast(device_type=device.split(":")[0], dtype=dtype,
                                                enabled=dtype != torch.float32):
        for i in range(args.warmup + args.steps):
            sync(device)
            t0 = time.perf_counter()
            logits = model(input_values=x, attention_mask=mask).logits  # [B, T, V]
            logits.argmax(-1).cpu()
            sync(device)
            if i >= args.warmup:
                times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2] / (args.batch * args.seconds)


def measure(name: str, config, encoder_dir: Path, args, device: str, dtype, peak) -> dict:
    import torch

    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    model = build(encoder_dir, config, device)
    params = trainable_non_conv(model)
    step_s = train_steps(model, args, device, dtype)
    peak_mem = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None
    rtf = decode_rtf(model, args, device, dtype)
    frames = args.batch * args.seconds * FRAMES_PER_S
    flops = 6 * params * frames
    row = {"arch": name, "params_trainable_non_conv": params, "step_s": step_s,
           "audio_s_per_s": args.batch * args.seconds / step_s, "tflops_per_s": flops / step_s / 1e12,
           "mfu": flops / step_s / peak if peak else None, "peak_mem_gib": peak_mem, "decode_rtf": rtf}
    del model
    return row


def print_rows(rows: list[dict], args, device_name: str, dtype) -> None:
    print(f"\ndevice {device_name}, {dtype}, batch {args.batch} x {args.seconds:g} s, median of {args.steps} steps "
          f"after {args.warmup} warm-up; MFU = 6 * P * F / step time / peak")
    print(f"{'arch':9s} {'P (M)':>8s} {'step s':>8s} {'audio-s/s':>10s} {'TFLOP/s':>8s} {'MFU':>6s} "
          f"{'peak GiB':>9s} {'decode RTF':>11s}")
    for r in rows:
        mfu = f"{100 * r['mfu']:5.1f}%" if r["mfu"] is not None else "   n/a"
        mem = f"{r['peak_mem_gib']:9.2f}" if r["peak_mem_gib"] is not None else "      n/a"
        print(f"{r['arch']:9s} {r['params_trainable_non_conv'] / 1e6:8.3f} {r['step_s']:8.3f} "
              f"{r['audio_s_per_s']:10.1f} {r['tflops_per_s']:8.2f} {mfu} {mem} {r['decode_rtf']:11.5f}")
    base, sshr = rows[0], rows[1]
    ratio = sshr["step_s"] / base["step_s"]
    print(f"SSHR/baseline step time: {ratio:.3f}x")
    print("RESULT " + json.dumps({"row": "2g", "measure": f"SSHR/baseline step cost ({device_name})",
                                  "sshr": sshr["step_s"], "anchor": base["step_s"], "anchor_name": "our baseline",
                                  "ratio": ratio, "goal": "<=1.10", "unit": "s/step"}))


def main() -> None:
    ap = argparse.ArgumentParser(description="MMS-300M-shaped random SSHR vs baseline: speed, MFU, memory.")
    ap.add_argument("--tiny", action="store_true", help="tiny encoder, CPU, fp32: checks the script runs")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=15.0, help="length of each (random) utterance")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--device", default=None, help="default: cuda if available, else cpu")
    ap.add_argument("--peak-tflops", type=float, default=None, help="GPU peak bf16 dense TFLOP/s for MFU")
    ap.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = ap.parse_args()

    import torch
    from transformers.utils import logging as hf_logging

    from sshr_cli.model.tiny import MMS_300M_ENCODER, save_tiny_encoder

    hf_logging.set_verbosity_error()  # the random encoder's "newly initialized" report
    hf_logging.disable_progress_bar()

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if args.tiny:
        args.batch, args.seconds, args.steps, args.warmup = min(args.batch, 2), min(args.seconds, 2.0), \
            min(args.steps, 2), min(args.warmup, 1)
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    device_name = torch.cuda.get_device_name(device) if device.startswith("cuda") else "cpu"
    peak = peak_flops(device_name, args.peak_tflops)
    with tempfile.TemporaryDirectory(prefix="sshr_gpu_bench_") as tmp:
        t0 = time.perf_counter()
        encoder = save_tiny_encoder(Path(tmp) / "encoder", seed=0, **({} if args.tiny else MMS_300M_ENCODER))
        print(f"random {'tiny' if args.tiny else 'MMS-300M-shaped'} encoder written in {time.perf_counter() - t0:.1f} s")
        rows = [measure(name, cfg, encoder, args, device, dtype, peak) for name, cfg in archs(args.tiny).items()]
    print_rows(rows, args, device_name, dtype)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
