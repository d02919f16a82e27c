import numpy as np
import pytest
import soundfile as sf

from sshr_cli.audio import audio_info, load_audio
from sshr_cli.errors import DataError


def test_stereo_8k_is_downmixed_and_resampled(tmp_path):
    t = np.arange(8000) / 8000
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 440 * t)], axis=1) * 0.5
    sf.write(tmp_path / "s.wav", stereo, 8000)
    info = audio_info(tmp_path / "s.wav")
    assert (info.channels, info.sample_rate_hz, info.duration_s) == (2, 8000, 1.0)
    audio = load_audio(tmp_path / "s.wav")
    assert audio.dtype == np.float32 and audio.ndim == 1 and len(audio) == 16000
    assert abs(np.abs(audio).max() - 0.5) < 0.02


def test_mp3_reads(tmp_path):
    sf.write(tmp_path / "a.mp3", np.zeros(48000, np.float32) + 0.1, 48000, format="MP3")
    assert abs(len(load_audio(tmp_path / "a.mp3")) - 16000) < 1200  # mp3 frames pad a little


@pytest.mark.parametrize("content, message", [(None, "not found"), (b"", "empty file"), (b"not audio at all", "not readable")])
def test_bad_audio_is_a_one_line_data_error(tmp_path, content, message):
    path = tmp_path / "x.mp3"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        load_audio(path)
    with pytest.raises(DataError, match=message):
        audio_info(path)


def test_a_truncated_mp3_is_unreadable_not_the_headers_duration(tmp_path):
    """libsndfile trusts the mp3 header's frame count; the clip cut at half its bytes decodes much less."""
    t = np.arange(3 * 48000) / 48000
    sf.write(tmp_path / "a.mp3", (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 48000, format="MP3")
    assert audio_info(tmp_path / "a.mp3").duration_s == pytest.approx(3.0, abs=0.05)  # complete: as before
    data = (tmp_path / "a.mp3").read_bytes()
    (tmp_path / "cut.mp3").write_bytes(data[: len(data) // 2])
    assert sf.info(str(tmp_path / "cut.mp3")).duration == pytest.approx(3.0, abs=0.05)  # what soundfile claims
    with pytest.raises(DataError, match=r"cut\.mp3: truncated: its header says 3\.0\d s but only 1\.\d+ s decodes"):
        audio_info(tmp_path / "cut.mp3")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_samples_are_a_data_error(tmp_path, value):
    wave = np.zeros(16000, np.float32)
    wave[8000] = value
    sf.write(tmp_path / "x.wav", wave, 16000, subtype="FLOAT")
    with pytest.raises(DataError, match=r"x\.wav: 1 non-finite sample\(s\) \(NaN or inf\), the first at sample 8000"):
        load_audio(tmp_path / "x.wav")
