"""Audio in: soundfile decodes (mp3/flac/wav/ogg, no system libraries), torchaudio resamples.

Everything downstream sees float32 mono at SAMPLE_RATE_HZ. Unreadable input raises DataError
with the file name, so batch callers can report a skip and carry on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sshr_cli.constants import SAMPLE_RATE_HZ
from sshr_cli.errors import DataError

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".sph", ".aiff", ".aif")


@dataclass(frozen=True)
class AudioInfo:
    duration_s: float
    sample_rate_hz: int
    channels: int


def _unreadable(path: Path, exc: Exception) -> DataError:
    if not path.exists():
        return DataError(f"{path}: file not found")
    if path.stat().st_size == 0:
        return DataError(f"{path}: empty file (0 bytes)")
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return DataError(f"{path}: not readable audio ({reason})")


def audio_info(path: str | Path) -> AudioInfo:
    """Duration measured from the file header (frames / rate), not guessed."""
    import soundfile as sf

    path = Path(path)
    try:
        info = sf.info(str(path))
    except Exception as exc:  # soundfile raises several types (LibsndfileError, RuntimeError, ...)
        raise _unreadable(path, exc) from exc
    if info.frames <= 0:
        raise DataError(f"{path}: no audio samples")
    return AudioInfo(info.frames / info.samplerate, info.samplerate, info.channels)


def load_audio(path: str | Path, sample_rate_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    """Decode, downmix to mono and resample: float32 [S] at `sample_rate_hz`."""
    import soundfile as sf

    path = Path(path)
    try:
        audio, sr = sf.read(str(path), dtype="float32", always_2d=True)  # [S, C]
    except Exception as exc:
        raise _unreadable(path, exc) from exc
    if audio.shape[0] == 0:
        raise DataError(f"{path}: no audio samples")
    return resample(audio.mean(axis=1), sr, sample_rate_hz)  # [S, C] -> [S]


def resample(audio: np.ndarray, from_hz: int, to_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    if from_hz == to_hz:
        return np.ascontiguousarray(audio, dtype=np.float32)
    import torch
    import torchaudio.functional as AF

    out = AF.resample(torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)), from_hz, to_hz)
    return out.numpy()
