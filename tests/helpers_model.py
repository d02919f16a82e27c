"""Shared helpers for model tests: a tiny vocabulary, tiny encoders, padded random batches.

Tiny encoders have 4 layers, so SSHR tests pass small layer numbers explicitly (SMALL_SSHR).
"""

from __future__ import annotations

from pathlib import Path

import torch

from sshr_cli.model.config import SSHRConfig
from sshr_cli.text.vocab import Vocab

TINY_VOCAB = Vocab(("<pad>", "<unk>", "|", "a", "b", "c", "d", "e"))
SMALL_SSHR = dict(lid_layer=1, num_layers=3, cross_ctc_layers=(2, 3))  # for 4-layer tiny encoders
ALL_OFF = dict(lid_layer=None, num_layers=None, cross_ctc_layers=())  # SSHR reduced to plain CTC
NO_DROPOUT = dict(final_dropout=0.0, mask_time_prob=0.0)


def tiny_encoder_dir(root: Path, stable: bool = True, seed: int = 0, **overrides) -> Path:
    from sshr_cli.model.tiny import save_tiny_encoder

    folder = Path(root) / f"enc_{'layer' if stable else 'group'}_{seed}"
    if not (folder / "config.json").is_file():
        save_tiny_encoder(folder, seed=seed, stable_layer_norm=stable, **overrides)
    return folder


def tiny_model(root: Path, stable: bool = True, vocab: Vocab = TINY_VOCAB, **config):
    from sshr_cli.model.sshr import SSHRForCTC

    return SSHRForCTC.from_encoder(tiny_encoder_dir(root, stable), SSHRConfig(**config), vocab)


def padded_batch(lengths_s: list[float], seed: int = 0, sample_rate: int = 16_000):
    """Random waves of the given durations, zero-padded: input_values [B, S], attention_mask [B, S]."""
    g = torch.Generator().manual_seed(seed)
    lengths = [int(s * sample_rate) for s in lengths_s]
    x = torch.zeros(len(lengths), max(lengths))
    mask = torch.zeros_like(x, dtype=torch.long)
    for i, n in enumerate(lengths):
        x[i, :n] = torch.randn(n, generator=g)
        mask[i, :n] = 1
    return x, mask


def labels_for(rows: list[list[int]]) -> torch.Tensor:
    """Target id rows padded with -100: [B, L]."""
    out = torch.full((len(rows), max(len(r) for r in rows)), -100, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r)
    return out


def tiny_family_dir(root: Path, model_type: str, seed: int = 0) -> Path:
    """A tiny random HuBERT / data2vec-audio / WavLM encoder folder (same sizes as the wav2vec2 one)."""
    from transformers import AutoConfig, AutoModel

    from sshr_cli.model.tiny import TINY_ENCODER

    folder = Path(root) / f"enc_{model_type}_{seed}"
    if not (folder / "config.json").is_file():
        torch.manual_seed(seed)
        AutoModel.from_config(AutoConfig.for_model(model_type, **TINY_ENCODER)).save_pretrained(folder)
    return folder
