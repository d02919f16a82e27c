"""Tiny wav2vec2 encoders in real HF format, for tests, the demo and CPU benchmarks.

Two front ends, both ending at a 20 ms frame rate (total stride 320 at 16 kHz) like MMS:

- "random": the real 7-layer conv feature encoder, randomly initialised (tests use it: it has
  MMS's exact frame arithmetic).
- "filterbank" (the demo's and `encoder: tiny`'s): 4 conv layers whose weights are set, not
  learned: 64 Hann-windowed cosine band-pass filters on a mel scale (80 Hz - 7.6 kHz, 16 ms),
  a per-band normalisation (the GroupNorm of feat_extract_norm="group"), GELU as a half-wave
  rectifier, then per-band averaging down to 20 ms frames, i.e. band envelopes, a spectrogram.
  A random conv stack throws away the spectral shape a tiny transformer needs, and training it
  from scratch collapsed (measured: features near-constant over time). With this front end a
  randomly initialised 4-layer transformer learns phonemes on CPU in minutes.
The transformer layers are random in both; nothing has been learned from speech.
"""

from __future__ import annotations

import math
from pathlib import Path

from .fileio import write_json

FRONT_ENDS = ("filterbank", "random")
TINY_ENCODER = dict(
    hidden_size=32, num_hidden_layers=4, num_attention_heads=2, intermediate_size=64,
    conv_dim=(32, 32, 32, 32, 32, 32, 32), num_conv_pos_embeddings=16,
    num_conv_pos_embedding_groups=2, layerdrop=0.0, mask_time_prob=0.0,
)
FILTERBANK_BANDS = 64
FILTERBANK_LOW_HZ, FILTERBANK_HIGH_HZ = 80.0, 7600.0
FILTERBANK_KERNEL = 256  # samples: 16 ms at 16 kHz, ~100 Hz resolution
# strides 16 * 5 * 2 * 2 = 320 samples = 20 ms, MMS's frame rate
FILTERBANK_FRONT_END = dict(
    conv_dim=(FILTERBANK_BANDS,) * 4, conv_kernel=(FILTERBANK_KERNEL, 5, 4, 4), conv_stride=(16, 5, 2, 2),
    conv_bias=False, feat_extract_norm="group",
)
TINY_FILTERBANK_ENCODER = dict(hidden_size=64, num_attention_heads=2, intermediate_size=128)
# facebook/mms-300m's config.json values (the architecture; the weights stay random here)
MMS_300M_ENCODER = dict(
    hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
    conv_dim=(512,) * 7, conv_kernel=(10, 3, 3, 3, 3, 2, 2), conv_stride=(5, 2, 2, 2, 2, 2, 2),
    num_conv_pos_embeddings=128, num_conv_pos_embedding_groups=16, feat_extract_norm="layer",
    do_stable_layer_norm=True, conv_bias=True, feat_proj_dropout=0.0, hidden_dropout=0.0,
    attention_dropout=0.0, activation_dropout=0.0, layerdrop=0.0, mask_time_prob=0.0,
)


def encoder_config(stable_layer_norm: bool = True, **overrides):
    """A transformers Wav2Vec2Config for a tiny encoder ('layer' norm like MMS, or 'group')."""
    from transformers import Wav2Vec2Config

    norm = dict(feat_extract_norm="layer", do_stable_layer_norm=True) if stable_layer_norm \
        else dict(feat_extract_norm="group", do_stable_layer_norm=False)
    return Wav2Vec2Config(**{**TINY_ENCODER, **norm, **overrides})


def save_tiny_encoder(out_dir: str | Path, seed: int = 0, stable_layer_norm: bool = True,
                      front_end: str = "random", **overrides) -> Path:
    """Write a `Wav2Vec2Model` + feature extractor with save_pretrained; return the folder.

    front_end="filterbank" sets the conv layers as described in the module docstring (the
    transformer stays random); "random" leaves everything random.
    """
    import torch
    from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2Model
    from transformers.utils import logging as hf_logging

    if front_end not in FRONT_ENDS:
        raise ValueError(f"front_end {front_end!r}: use one of {FRONT_ENDS}")
    hf_logging.disable_progress_bar()  # no "Writing model shards" bar for a file of kilobytes
    torch.manual_seed(seed)
    if front_end == "filterbank":
        overrides = {**TINY_FILTERBANK_ENCODER, **overrides, **FILTERBANK_FRONT_END}
    model = Wav2Vec2Model(encoder_config(stable_layer_norm, **overrides))
    if front_end == "filterbank":
        set_filterbank(model.feature_extractor)
    model.save_pretrained(out_dir)
    Wav2Vec2FeatureExtractor(sampling_rate=16_000, do_normalize=True, return_attention_mask=True).save_pretrained(out_dir)
    return Path(out_dir)


def mel_band_centres(n: int, low_hz: float = FILTERBANK_LOW_HZ, high_hz: float = FILTERBANK_HIGH_HZ) -> list[float]:
    """n centre frequencies (Hz) evenly spaced on the mel scale."""
    def mel(f):
        return 2595.0 * math.log10(1.0 + f / 700.0)

    lo, hi = mel(low_hz), mel(high_hz)
    return [700.0 * (10 ** ((lo + (hi - lo) * i / (n - 1)) / 2595.0) - 1.0) for i in range(n)]


def set_filterbank(feature_extractor, sample_rate_hz: int = 16_000) -> None:
    """Layer 0: unit-norm Hann-windowed cosines at mel-spaced centres; later layers: per-band means."""
    import torch

    convs = [layer.conv for layer in feature_extractor.conv_layers]
    bands, _, kernel = convs[0].weight.shape  # [C, 1, K]
    t = torch.arange(kernel) / sample_rate_hz
    window = torch.hann_window(kernel, periodic=False)
    filters = torch.stack([window * torch.cos(2 * math.pi * f * t) for f in mel_band_centres(bands)])  # [C, K]
    with torch.no_grad():
        convs[0].weight.copy_((filters / filters.norm(dim=1, keepdim=True))[:, None, :])
        for conv in convs[1:]:
            k = conv.kernel_size[0]
            conv.weight.zero_()
            conv.weight[range(bands), range(bands), :] = 1.0 / k  # [C, C, k]: band c averages band c


def save_tiny_ctc(out_dir: str | Path, vocab: dict[str, int], seed: int = 0, **overrides) -> Path:
    """A random HF `Wav2Vec2ForCTC` folder with its processor, as the HF example script writes."""
    import torch
    from transformers import (Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC,
                              Wav2Vec2Processor)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    cfg = encoder_config(True, vocab_size=len(vocab), pad_token_id=vocab["<pad>"], **overrides)
    Wav2Vec2ForCTC(cfg).save_pretrained(out_dir)
    write_json(out_dir / "vocab.json", vocab)
    tok = Wav2Vec2CTCTokenizer(str(out_dir / "vocab.json"), unk_token="<unk>", pad_token="<pad>", word_delimiter_token="|")
    fe = Wav2Vec2FeatureExtractor(sampling_rate=16_000, do_normalize=True, return_attention_mask=True)
    Wav2Vec2Processor(feature_extractor=fe, tokenizer=tok).save_pretrained(out_dir)
    return out_dir
