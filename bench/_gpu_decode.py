"""Greedy decode RTF of MMS-300M-shaped random SSHR and plain-CTC baseline (part of bench/gpu.sh).

No download: the encoder is built from sshr_cli.model.tiny.MMS_300M_ENCODER (facebook/mms-300m's
architecture) with random weights, so speed and memory are those of the real model while the
outputs are meaningless. RTF = compute seconds / audio seconds for a batch in eval mode under
bf16 autocast on GPU (fp32 on CPU): forward + argmax + copy of the ids to the host; no file
reading, no resampling. Peak memory is torch.cuda.max_memory_allocated during decoding.
Training speed, MFU and memory are bench/train_step.py's (run by bench/gpu_train.sh).

    python bench/_gpu_decode.py [--tiny] [--batch 8] [--seconds 30] [--steps 5]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

SAMPLE_RATE = 16_000
N_UNITS = 60  # phoneme inventory size, about Common Voice's 8 languages
LANGS = ("en", "de", "fr", "es", "it", "nl", "pl", "sv")


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


def batch(args, device: str):
    import torch

    g = torch.Generator().manual_seed(0)
    samples = int(args.seconds * SAMPLE_RATE)
    x = torch.randn(args.batch, samples, generator=g).to(device)  # [B, S]
    mask = torch.ones(args.batch, samples, dtype=torch.long, device=device)
    return x, mask


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def decode_rtf(model, args, device: str, dtype) -> float:
    """Compute seconds per audio second for greedy decoding: forward in eval mode + argmax."""
    import torch

    x, mask = batch(args, device)
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


def measure(name: str, config, encoder_dir: Path, args, device: str, dtype) -> dict:
    import torch

    if device.startswith("cuda"):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    model = build(encoder_dir, config, device)
    rtf = decode_rtf(model, args, device, dtype)
    peak_mem = torch.cuda.max_memory_allocated() / 2**30 if device.startswith("cuda") else None
    row = {"arch": name, "params": sum(p.numel() for p in model.parameters()), "decode_rtf": rtf,
           "audio_s_per_s": 1.0 / rtf, "peak_mem_gib": peak_mem}
    del model
    return row


def print_rows(rows: list[dict], args, device_name: str, dtype) -> None:
    print(f"\ngreedy decode, device {device_name}, {dtype}, batch {args.batch} x {args.seconds:g} s, "
          f"median of {args.steps} after {args.warmup} warm-up")
    print(f"{'arch':9s} {'params (M)':>10s} {'RTF':>9s} {'audio-s/s':>10s} {'peak GiB':>9s}")
    for r in rows:
        mem = f"{r['peak_mem_gib']:9.2f}" if r["peak_mem_gib"] is not None else "      n/a"
        print(f"{r['arch']:9s} {r['params'] / 1e6:10.3f} {r['decode_rtf']:9.5f} {r['audio_s_per_s']:10.1f} {mem}")


def main() -> None:
    ap = argparse.ArgumentParser(description="Greedy decode RTF of MMS-300M-shaped random SSHR and baseline.")
    ap.add_argument("--tiny", action="store_true", help="tiny encoder, CPU, fp32: checks the script runs")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30.0, help="length of each (random) utterance")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--device", default=None, help="default: cuda if available, else cpu")
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
    with tempfile.TemporaryDirectory(prefix="sshr_gpu_bench_") as tmp:
        t0 = time.perf_counter()
        encoder = save_tiny_encoder(Path(tmp) / "encoder", seed=0, **({} if args.tiny else MMS_300M_ENCODER))
        print(f"random {'tiny' if args.tiny else 'MMS-300M-shaped'} encoder written in {time.perf_counter() - t0:.1f} s")
        rows = [measure(name, cfg, encoder, args, device, dtype) for name, cfg in archs(args.tiny).items()]
    print_rows(rows, args, device_name, dtype)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
