"""Long audio: overlapping windows read straight from the file, logits stitched at frame level.

A file of S samples (16 kHz) is cut into keep-regions of `chunk - 2*stride` seconds. Each
window is its keep-region plus `stride` seconds of context on both sides; only the frames
of the keep-region are kept. Window starts are multiples of the encoder hop (320 samples),
so local frame k of a window that starts at sample `a` is global frame `a / hop + k`, the
same frame an unchunked pass would give. Windows are read with soundfile's seek, so memory
follows the window, not the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sshr_cli.audio import _unreadable, check_finite, resample
from sshr_cli.constants import ENCODER_FRAME_STRIDE_S, RECEPTIVE_FIELD_SAMPLES, SAMPLE_RATE_HZ
from sshr_cli.errors import ConfigError, DataError

MIN_TAIL_FRACTION = 0.5  # a last keep-region shorter than this share of a stride joins the one before


@dataclass(frozen=True)
class Window:
    start: int  # first sample (16 kHz), a multiple of the hop
    stop: int  # one past the last sample
    keep_from: int  # first global frame kept from this window
    keep_to: int | None  # one past the last global frame kept; None = to the window's end


def plan_windows(n_samples: int, chunk_s: float | None, stride_s: float,
                 hop: int = round(ENCODER_FRAME_STRIDE_S * SAMPLE_RATE_HZ),
                 rate: int = SAMPLE_RATE_HZ) -> list[Window]:
    """Windows covering [0, n_samples); one window when the audio fits in a chunk (or chunk_s is None/0)."""
    if not chunk_s or n_samples <= chunk_s * rate:
        return [Window(0, n_samples, 0, None)]
    stride = int(stride_s * rate) // hop * hop
    step = (int(chunk_s * rate) - 2 * stride) // hop * hop
    if step <= 0 or stride < RECEPTIVE_FIELD_SAMPLES:
        raise ConfigError(f"--chunk-seconds {chunk_s} must exceed 2 x --stride-seconds {stride_s}, "
                          f"and the stride must be at least {RECEPTIVE_FIELD_SAMPLES / rate} s")
    bounds = list(range(0, n_samples, step)) + [n_samples]  # keep-region edges
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < MIN_TAIL_FRACTION * stride:
        del bounds[-2]
    windows = []
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        last = i == len(bounds) - 2
        start = max(0, lo - stride)
        windows.append(Window(start, n_samples if last else min(n_samples, hi + stride),
                              lo // hop, None if last else hi // hop))
    return windows


def local_frames(window: Window, n_frames: int, hop: int) -> slice:
    """The slice of a window's output frames [0, n_frames) that its keep-region owns."""
    offset = window.start // hop
    stop = n_frames if window.keep_to is None else min(n_frames, window.keep_to - offset)
    return slice(window.keep_from - offset, stop)


class AudioSource:
    """A file opened for windowed reads: decoded, downmixed and resampled to 16 kHz per window."""

    def __init__(self, path: str | Path, rate: int = SAMPLE_RATE_HZ, min_samples: int = RECEPTIVE_FIELD_SAMPLES):
        import soundfile as sf

        self.path, self.rate = Path(path), rate
        if self.path.is_dir():
            raise DataError(f"{self.path}: is a folder, not an audio file")
        try:
            info = sf.info(str(self.path))
        except Exception as exc:  # soundfile raises several types
            raise _unreadable(self.path, exc) from exc
        self.source_rate, self.source_frames = info.samplerate, info.frames
        self.n_samples = math.ceil(info.frames * rate / info.samplerate) if info.frames > 0 else 0
        if self.n_samples < min_samples:
            raise DataError(f"{self.path}: too short ({info.frames / max(info.samplerate, 1):.3f} s); "
                            f"needs at least {min_samples / rate:.3f} s of audio")

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.rate

    def read(self, start: int, stop: int) -> np.ndarray:
        """Samples [start, stop) at 16 kHz, float32 mono; only that part of the file is decoded."""
        import soundfile as sf

        a = math.floor(start * self.source_rate / self.rate)
        b = min(self.source_frames, math.ceil(stop * self.source_rate / self.rate))
        try:
            with sf.SoundFile(str(self.path)) as f:
                f.seek(a)
                block = f.read(b - a, dtype="float32", always_2d=True)  # [S, C]
        except Exception as exc:
            raise _unreadable(self.path, exc) from exc
        wave = resample(check_finite(self.path, block).mean(axis=1), self.source_rate, self.rate)  # [S, C] -> [S]
        if len(wave) < stop - start:
            wave = np.pad(wave, (0, stop - start - len(wave)))
        return wave[: stop - start]


class ArraySource:
    """A wave already in memory (float mono at 16 kHz) with AudioSource's interface."""

    def __init__(self, wave: np.ndarray, name: str = "<array>", rate: int = SAMPLE_RATE_HZ,
                 min_samples: int = RECEPTIVE_FIELD_SAMPLES):
        wave = np.asarray(wave, dtype=np.float32)
        if wave.ndim != 1:
            raise DataError(f"{name}: expected a mono wave of shape (samples,) at {rate} Hz; got shape {wave.shape}")
        if len(wave) < min_samples:
            raise DataError(f"{name}: too short ({len(wave) / rate:.3f} s); needs at least {min_samples / rate:.3f} s")
        self.path, self.rate, self.wave = Path(name), rate, wave
        self.source_rate = self.rate
        self.n_samples = self.source_frames = len(wave)

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.rate

    def read(self, start: int, stop: int) -> np.ndarray:
        return self.wave[start:stop]
