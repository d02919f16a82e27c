"""Audio in: soundfile decodes (mp3/flac/wav/ogg, no system libraries), torchaudio resamples.

Everything downstream sees float32 mono at SAMPLE_RATE_HZ. Unreadable input raises DataError
with the file name, so batch callers can report a skip and carry on. Checked here, once:
  - durations are what decodes: a file cut short (an mp3 whose header promises more frames than
    its bytes hold) is a DataError naming both durations, never the header's figure;
  - samples are finite: a NaN or inf sample is a DataError (check_finite), never a silent NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sshr_cli.constants import SAMPLE_RATE_HZ
from sshr_cli.errors import DataError

TAIL_FRAMES = 1024  # frames read at the header's end to check that a file is complete
TRUNCATED_TOLERANCE_S = 0.05  # decoded may fall short of the header by this much (encoder padding)
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
    _check_complete(path, info.frames, info.samplerate)
    return AudioInfo(info.frames / info.samplerate, info.samplerate, info.channels)


def _check_complete(path: Path, frames: int, rate: int) -> None:
    """The header's frame count decodes: the last TAIL_FRAMES are read (a seek, cheap); if they are not
    all there, the whole file is decoded to say how much of it does (a truncated file is a DataError)."""
    import soundfile as sf

    tail = min(TAIL_FRAMES, frames)
    try:
        with sf.SoundFile(str(path)) as f:
            f.seek(frames - tail)
            if len(f.read(tail, dtype="float32")) == tail:
                return
    except Exception:  # a failed seek or read: decode it all below
        pass
    decoded = _decoded_frames(path)
    if decoded < frames - rate * TRUNCATED_TOLERANCE_S:
        raise DataError(f"{path}: truncated: its header says {frames / rate:.2f} s but only {decoded / rate:.2f} s "
                        f"decodes (an interrupted download or copy?); re-fetch the file or drop it")


def _decoded_frames(path: Path) -> int:
    import soundfile as sf

    n = 0
    try:
        with sf.SoundFile(str(path)) as f:
            while block := len(f.read(1 << 16, dtype="float32")):  # (blocks() pads to the header's count)
                n += block
    except Exception:  # decoding stopped at the damage: what came out so far is what decodes
        pass
    return n


def check_finite(path: str | Path, audio: np.ndarray) -> np.ndarray:
    """`audio` if every sample is finite; else a DataError saying where the first NaN/inf is."""
    bad = ~np.isfinite(audio)
    if bad.any():
        first = int(np.argmax(bad.reshape(-1)))  # [S] or [S, C] -> flat index
        channels = audio.shape[1] if audio.ndim == 2 else 1
        raise DataError(f"{path}: {int(bad.sum())} non-finite sample(s) (NaN or inf), the first at sample "
                        f"{first // channels}; the file is corrupt (re-export it as PCM)")
    return audio


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
    check_finite(path, audio)
    return resample(audio.mean(axis=1), sr, sample_rate_hz)  # [S, C] -> [S]


def resample(audio: np.ndarray, from_hz: int, to_hz: int = SAMPLE_RATE_HZ) -> np.ndarray:
    if from_hz == to_hz:
        return np.ascontiguousarray(audio, dtype=np.float32)
    import torch
    import torchaudio.functional as AF

    out = AF.resample(torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float32)), from_hz, to_hz)
    return out.numpy()
