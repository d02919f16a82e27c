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


def test_filterbank_transcripts_do_not_depend_on_batching(tmp_path):
    """The filterbank's GroupNorm sees padding, so the Recognizer runs such encoders one wave at a time."""
    import numpy as np

    from sshr_cli.model.config import SSHRConfig
    from sshr_cli.model.inference import Recognizer
    from sshr_cli.model.sshr import SSHRForCTC
    from tests.helpers_model import ALL_OFF, TINY_VOCAB

    folder = save_tiny_encoder(tmp_path / "enc", front_end="filterbank")
    model = SSHRForCTC.from_encoder(folder, SSHRConfig(**ALL_OFF), TINY_VOCAB).eval()
    assert model.padding_sensitive
    rec = Recognizer(model, TINY_VOCAB, "sshr", str(folder))
    rng = np.random.default_rng(0)
    short, long = rng.standard_normal(8_000).astype("float32"), rng.standard_normal(24_000).astype("float32")
    together, alone = rec([short, long]), rec([short])
    t = int(alone.lengths[0])
    assert int(together.lengths[0]) == t
    torch.testing.assert_close(together.log_probs[0, :t], alone.log_probs[0, :t])


def test_a_clip_shorter_than_the_filterbank_needs_is_a_one_line_skip(tmp_path):
    import numpy as np
    import soundfile as sf

    from sshr_cli.decode import DecodeOptions, transcribe
    from sshr_cli.model.config import SSHRConfig
    from sshr_cli.model.inference import Recognizer
    from sshr_cli.model.sshr import SSHRForCTC
    from tests.helpers_model import ALL_OFF, TINY_VOCAB

    folder = save_tiny_encoder(tmp_path / "enc", front_end="filterbank")
    rec = Recognizer(SSHRForCTC.from_encoder(folder, SSHRConfig(**ALL_OFF), TINY_VOCAB).eval(), TINY_VOCAB,
                     "sshr", str(folder))
    assert rec.min_samples == 1040  # 256 + 4*16 + 3*80 + 3*160
    sf.write(tmp_path / "short.wav", np.zeros(800, dtype="float32"), 16_000)  # 50 ms: enough for MMS, not here
    out = transcribe(rec, [tmp_path / "short.wav"], DecodeOptions())[0]
    assert out.error and "too short" in out.error and "\n" not in out.error
