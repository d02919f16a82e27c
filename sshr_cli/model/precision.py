"""Inference precision: what a precision name means on a device, and the one-time model change it needs.

    used = resolve_precision("auto", "cpu")    # "fp32": auto stays fp32 on a CPU
    with precision_context(rec, "int8"):       # quantises rec's encoder Linear layers once, in memory
        out = rec.model(...)

On a GPU: bf16/fp16 autocast (auto = bf16 where supported, else fp16). On a CPU: fp32; int8 =
dynamic int8 quantisation of the encoder's Linear layers (torch.ao `quantize_dynamic`: weights
int8, activations quantised per batch; the checkpoint on disk stays fp32); bf16 = autocast, only
on CPUs with native bf16 (avx512_bf16 or AMX). bench/decode_cpu.py measures each path; see
docs/decode.md for why torch.ao and not torchao.
"""

from __future__ import annotations

import warnings
from contextlib import nullcontext
from pathlib import Path

from .constants import DECODE_PRECISIONS
from .errors import ConfigError

CPU_AUTO_PRECISION = "fp32"  # bf16 only once bench/decode_cpu.py shows a trained model's CER within 0.5 point
CPU_BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo flags of CPUs with native bf16 arithmetic
CPUINFO = Path("/proc/cpuinfo")


def cpu_has_native_bf16() -> bool:
    """avx512_bf16 or AMX in this CPU's flags (Linux); False where the flags cannot be read."""
    try:
        text = CPUINFO.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return any(flag in flags for flag in CPU_BF16_FLAGS)


def resolve_precision(precision: str, device: str) -> str:
    """The precision that runs for a requested name on a device; a one-line ConfigError when it cannot."""
    if precision not in DECODE_PRECISIONS:
        raise ConfigError(f"--precision {precision!r}: use one of {', '.join(DECODE_PRECISIONS)}")
    if str(device).startswith("cuda"):
        return _cuda_precision(precision)
    if precision == "auto":
        return CPU_AUTO_PRECISION
    if precision == "fp16":
        raise ConfigError("--precision fp16 has no fast CPU path; on a CPU use int8, bf16 (CPUs with "
                          "avx512_bf16/AMX) or fp32")
    if precision == "bf16" and not cpu_has_native_bf16():
        raise ConfigError("--precision bf16: this CPU has no native bf16 (avx512_bf16 or AMX), so bf16 "
                          "would be slower than fp32; use --precision int8 or fp32")
    return precision


def _cuda_precision(precision: str) -> str:
    import torch

    if precision == "int8":
        raise ConfigError("--precision int8 is a CPU path (dynamic int8 Linear layers); on a GPU use bf16 or "
                          "fp16, or pass --device cpu")
    if precision == "auto":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return precision


def precision_context(rec, precision: str):
    """The context a forward pass runs in for `precision` on rec.device: autocast for bf16/fp16,
    nothing for fp32 and int8 (int8 quantises rec's encoder on first use: see quantize_int8)."""
    import torch

    used = resolve_precision(precision, rec.device)
    if used == "int8":
        quantize_int8(rec)
    elif getattr(rec, "quantized", False):
        raise ConfigError(f"this recogniser's Linear layers were quantised to int8; load it again to run {used}")
    if used == "fp32" or used == "int8":
        return nullcontext()
    dtype = torch.bfloat16 if used == "bf16" else torch.float16
    return torch.autocast("cuda" if str(rec.device).startswith("cuda") else "cpu", dtype=dtype)


def quantize_int8(rec) -> None:
    """Dynamic int8 quantisation of the encoder's nn.Linear layers, in place, once per recogniser.
    The heads (CTC, Cross-CTC, LID) stay fp32: they are small and hold the output distribution."""
    import torch

    if getattr(rec, "quantized", False):
        return
    encoder = getattr(rec.model, "encoder_model", None) or rec.model.base_model  # sshr | HF *ForCTC
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization announces its move to torchao
        torch.ao.quantization.quantize_dynamic(encoder, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)
    rec.quantized = True
