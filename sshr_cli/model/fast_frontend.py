"""A faster conv feature encoder for CPU inference: the same weights, computed channels-last.

    if use_channels_last_frontend(model):   # once, after loading, for CPU inference only
        ...                                 # the feature encoder now runs as GEMMs on [B, T, C]

wav2vec2-style feature encoders with a LayerNorm after every conv (`feat_extract_norm: layer`: MMS,
XLS-R, wav2vec2-large-lv60, HuBERT-large, data2vec-audio) compute each layer as conv on [B, C, T],
transpose, LayerNorm, transpose back, GELU. On a CPU the transposes and the normalisation over a
strided axis cost more than the convolutions: on the MMS-300M shape the feature encoder took a
third of an fp32 forward pass. Here every layer keeps [B, T, C]: a conv of kernel K and stride S is
one matrix product of the K x C values under each window (an im2col) with the
weight as [K*C, C_out], followed by a LayerNorm over the contiguous last axis. Outputs equal the
original's to float rounding (tests/test_fast_frontend.py). Training, GPUs and the ONNX export keep
HF's modules.
"""

from __future__ import annotations

import types

import torch
import torch.nn.functional as F
from torch import nn


def frontend_of(model) -> nn.Module | None:
    """The HF feature encoder (module with .conv_layers) of an sshr model or an HF *ForCTC."""
    encoder = getattr(model, "encoder_model", None) or getattr(model, "base_model", None)
    return getattr(encoder, "feature_extractor", None)


def supports_channels_last(frontend: nn.Module | None) -> bool:
    """True when every conv layer is a plain Conv1d followed by a LayerNorm over its channels."""
    layers = getattr(frontend, "conv_layers", None)
    return bool(layers) and all(_is_layer_norm_conv(layer) for layer in layers)


def _is_layer_norm_conv(layer: nn.Module) -> bool:
    conv, norm = getattr(layer, "conv", None), getattr(layer, "layer_norm", None)
    return (isinstance(conv, nn.Conv1d) and isinstance(norm, nn.LayerNorm) and conv.groups == 1
            and conv.padding == (0,) and conv.dilation == (1,) and callable(getattr(layer, "activation", None))
            and tuple(norm.normalized_shape) == (conv.out_channels,))


def use_channels_last_frontend(model) -> bool:
    """Swap the feature encoder's forward for the channels-last one; False (a no-op) where the
    encoder's layers are not all conv + LayerNorm (GroupNorm front ends, custom front ends)."""
    frontend = frontend_of(model)
    if not supports_channels_last(frontend):
        return False
    frontend.forward = types.MethodType(_channels_last_forward, frontend)
    return True


def use_hf_frontend(model) -> None:
    """Undo use_channels_last_frontend (the ONNX exporter traces HF's conv layers: onnxruntime runs
    Conv nodes well, and the window slices here would make the time axis data-dependent)."""
    frontend = frontend_of(model)
    if frontend is not None and "forward" in vars(frontend):
        del frontend.forward


def _channels_last_forward(self, input_values: torch.Tensor) -> torch.Tensor:
    """[B, S] samples -> [B, C, T] features (a transposed view of [B, T, C], as HF returns)."""
    hidden = input_values[:, :, None]  # [B, S, 1]
    for layer in self.conv_layers:
        hidden = _conv_layer(layer, hidden)  # [B, T', C']
    return hidden.transpose(1, 2)  # [B, C, T]


def _conv_layer(layer: nn.Module, hidden: torch.Tensor) -> torch.Tensor:
    """One conv + LayerNorm + activation on [B, T, C] -> [B, T', C_out]."""
    conv = layer.conv
    kernel, stride = conv.kernel_size[0], conv.stride[0]
    channels = hidden.shape[-1]
    span = hidden.shape[1] - kernel + 1  # window t starts at sample t*stride < span
    # window t = hidden[:, t*stride + j, :] for j < kernel, side by side: [B, T', K*C]
    windows = torch.cat([hidden[:, j : j + span : stride] for j in range(kernel)], dim=-1)
    weight = conv.weight.permute(0, 2, 1).reshape(conv.out_channels, kernel * channels)  # [C_out, K*C]
    out = F.linear(windows, weight.to(hidden.dtype), None if conv.bias is None else conv.bias.to(hidden.dtype))
    out = F.layer_norm(out, layer.layer_norm.normalized_shape, layer.layer_norm.weight, layer.layer_norm.bias,
                       layer.layer_norm.eps)  # [B, T', C_out]
    return layer.activation(out)
