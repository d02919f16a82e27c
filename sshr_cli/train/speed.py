"""Speed switches of the training loop, both off by default (train.compile, train.pad_to_multiple_s).

    compile_regions(model, cfg.train.compile)                       # in place; a no-op for "off"
    batch = pad_to_multiple(batch, cfg.train.pad_to_multiple_s)     # the batch itself for 0

torch.compile is applied region by region: the conv feature encoder, the positional conv and each
transformer layer are compiled in place (nn.Module.compile), so the loss, the SSHR heads and the
Python loop over layers stay eager, state-dict keys do not change (checkpoints are the same), and
the 24 identical layers share one compiled graph. Modes (torch.compile's `dynamic`):
  auto     torch's default: one graph for the first shape, then symbolic shapes after a recompile
  dynamic  symbolic batch and length from the start
  static   one graph per shape: only for data whose shapes repeat (fixed-length clips, or
           train.pad_to_multiple_s so that lengths fall on a few bucket edges)
Padding a batch to a bucket edge adds zero samples with attention_mask 0: masked frames, extra
compute (counted in the `padding` of metrics.jsonl), fewer distinct shapes.
"""

from __future__ import annotations

import dataclasses

import torch

from sshr_cli.constants import SAMPLE_RATE_HZ

DYNAMIC = {"auto": None, "dynamic": True, "static": False}  # train.compile -> torch.compile(dynamic=...)


def regions(model) -> list[torch.nn.Module]:
    """The encoder's parts worth compiling: conv feature encoder, positional conv, each layer."""
    enc = model.encoder_model
    parts = [getattr(enc, "feature_extractor", None), getattr(enc.encoder, "pos_conv_embed", None)]
    return [p for p in parts if p is not None] + list(enc.encoder.layers)


def compile_regions(model, mode: str) -> None:
    """torch.compile each region of `model` in place (see the module docstring); "off" leaves it eager."""
    if mode == "off":
        return
    for module in regions(model):
        module.compile(dynamic=DYNAMIC[mode])


def pad_to_multiple(batch, seconds: float):
    """Right-pad a Batch's samples (zeros, attention_mask 0) up to the next multiple of `seconds`."""
    if seconds <= 0:
        return batch
    step = max(1, int(round(seconds * SAMPLE_RATE_HZ)))
    n = batch.input_values.shape[1]
    extra = -n % step
    if extra == 0:
        return batch
    pad = torch.nn.functional.pad
    return dataclasses.replace(batch, input_values=pad(batch.input_values, (0, extra)),  # [B, S] -> [B, S+extra]
                               attention_mask=pad(batch.attention_mask, (0, extra)),  # [B, S] -> [B, S+extra]
                               padded_seconds=batch.padded_seconds * (n + extra) / n)
