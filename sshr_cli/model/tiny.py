"""Tiny random wav2vec2 encoders in real HF format, for tests, the demo and CPU benchmarks.

They keep the real conv feature encoder (7 layers, total stride 320 = 20 ms at 16 kHz) so
frame rates match MMS, and shrink everything else.
"""

from __future__ import annotations

from pathlib import Path

from sshr_cli.io import write_json

TINY_ENCODER = dict(
    hidden_size=32, num_hidden_layers=4, num_attention_heads=2, intermediate_size=64,
    conv_dim=(32, 32, 32, 32, 32, 32, 32), num_conv_pos_embeddings=16,
    num_conv_pos_embedding_groups=2, layerdrop=0.0, mask_time_prob=0.0,
)
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


def save_tiny_encoder(out_dir: str | Path, seed: int = 0, stable_layer_norm: bool = True, **overrides) -> Path:
    """Write a random `Wav2Vec2Model` + feature extractor with save_pretrained; return the folder."""
    import torch
    from transformers import Wav2Vec2FeatureExtractor, Wav2Vec2Model
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Writing model shards" bar for a file of kilobytes
    torch.manual_seed(seed)
    model = Wav2Vec2Model(encoder_config(stable_layer_norm, **overrides))
    model.save_pretrained(out_dir)
    Wav2Vec2FeatureExtractor(sampling_rate=16_000, do_normalize=True, return_attention_mask=True).save_pretrained(out_dir)
    return Path(out_dir)


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
