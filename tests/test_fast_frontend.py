"""The channels-last feature encoder (model/fast_frontend.py) computes what HF's conv layers compute."""

import numpy as np
import pytest
import torch
from transformers import Wav2Vec2Model

from helpers_hub import save_ctc_checkpoint, save_sshr_checkpoint
from sshr_cli.model.fast_frontend import frontend_of, use_channels_last_frontend, use_hf_frontend
from sshr_cli.model.inference import load_checkpoint
from sshr_cli.model.tiny import encoder_config

LENGTHS = ([16_000], [16_000, 5_000, 24_000], [400])  # samples per wave: batch sizes 1-3; 400 = one frame


def encoder(stable_layer_norm: bool = True, **overrides) -> Wav2Vec2Model:
    torch.manual_seed(0)
    return Wav2Vec2Model(encoder_config(stable_layer_norm, **overrides)).eval()


@pytest.mark.parametrize("lengths", LENGTHS)
def test_channels_last_features_equal_hf_features(lengths):
    hf = encoder(conv_bias=True)
    fast = encoder(conv_bias=True)
    assert use_channels_last_frontend(type("M", (), {"encoder_model": fast})())
    x = torch.randn(len(lengths), max(lengths))  # [B, S]
    with torch.inference_mode():
        want, got = hf.feature_extractor(x), fast.feature_extractor(x)  # [B, C, T]
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_without_conv_bias_and_under_bf16_autocast():
    hf, fast = encoder(conv_bias=False), encoder(conv_bias=False)
    use_channels_last_frontend(type("M", (), {"encoder_model": fast})())
    x = torch.randn(2, 8_000)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        want, got = hf.feature_extractor(x).float(), fast.feature_extractor(x).float()
    assert got.shape == want.shape
    assert (got - want).abs().max() < 0.1 * want.abs().max()  # bf16 rounding, not a different function


def test_group_norm_front_ends_are_left_alone():
    model = type("M", (), {"encoder_model": encoder(stable_layer_norm=False)})()
    assert not use_channels_last_frontend(model)
    assert "forward" not in vars(frontend_of(model))


@pytest.mark.parametrize("kind", ["ctc", "sshr"])
def test_cpu_recognisers_use_it_and_give_the_same_log_probs(tmp_path, kind):
    folder = save_ctc_checkpoint(tmp_path / "m") if kind == "ctc" else save_sshr_checkpoint(tmp_path / "m")
    rec = load_checkpoint(folder, device="cpu")
    assert "forward" in vars(frontend_of(rec.model))
    waves = [np.random.default_rng(i).standard_normal(n).astype(np.float32) for i, n in enumerate((9_000, 16_000))]
    fast = rec(waves).log_probs
    use_hf_frontend(rec.model)
    assert "forward" not in vars(frontend_of(rec.model))
    torch.testing.assert_close(fast, rec(waves).log_probs, atol=1e-4, rtol=1e-4)
