"""The tiny encoders: the filterbank front end is a real band-pass filterbank at MMS's frame rate."""

from __future__ import annotations

import math

import pytest
import torch
from typer.testing import CliRunner

from sshr_cli.cli import app
from sshr_cli.model.tiny import FILTERBANK_BANDS, mel_band_centres, save_tiny_encoder


@pytest.fixture(scope="module")
def filterbank_encoder(tmp_path_factory):
    from transformers import Wav2Vec2Model

    folder = save_tiny_encoder(tmp_path_factory.mktemp("fb") / "enc", front_end="filterbank")
    return Wav2Vec2Model.from_pretrained(folder).eval()


def _tone(hz: float, seconds: float = 1.0) -> torch.Tensor:
    t = torch.arange(int(16_000 * seconds)) / 16_000
    return torch.sin(2 * math.pi * hz * t)[None]  # [1, S]


def test_frames_are_20_ms_like_mms(filterbank_encoder):
    frames = filterbank_encoder._get_feat_extract_output_lengths(torch.tensor([16_000, 32_000]))
    assert frames.tolist() == [47, 97]  # 320-sample stride; the 16 ms first kernel trims the edges


@pytest.mark.parametrize("hz", [300.0, 1000.0, 3000.0])
def test_a_tone_excites_the_band_around_its_frequency(filterbank_encoder, hz):
    conv = filterbank_encoder.feature_extractor.conv_layers[0].conv
    with torch.no_grad():
        energy = conv(_tone(hz)[:, None]).pow(2).mean(-1)[0]  # [1, 1, S] -> [C, S'] -> [C]
    centres = mel_band_centres(FILTERBANK_BANDS)
    nearest = min(range(FILTERBANK_BANDS), key=lambda i: abs(centres[i] - hz))
    assert abs(int(energy.argmax()) - nearest) <= 1


def test_features_follow_the_spectrum_over_time(filterbank_encoder):
    """Low tone then high tone: the frames of each half differ (a random conv stack's barely did)."""
    x = torch.cat([_tone(300.0), _tone(3000.0)], dim=1)  # [1, 32000]
    with torch.no_grad():
        feats = filterbank_encoder.feature_extractor(x)[0].T  # [C, T] -> [T, C]
    first, second = feats[5:40].mean(0), feats[55:90].mean(0)
    assert torch.nn.functional.cosine_similarity(first, second, dim=0) < 0.5


def test_unknown_front_end_is_one_line(tmp_path):
    result = CliRunner().invoke(app, ["synth", "encoder", str(tmp_path / "e"), "--front-end", "mel"])
    assert result.exit_code != 0 and "--front-end" in result.output and "Traceback" not in result.output
