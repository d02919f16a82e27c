"""Tiny hand-made corpora for the prepare tests: sine tones with known lengths, so counts are obvious."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sshr_cli.data.synthetic import CV_HEADER

TONE_HZ = 440.0


def tone(path: Path, seconds: float, sample_rate: int = 16_000, channels: int = 1) -> Path:
    """Write a sine tone; the format follows the suffix (.mp3, .wav, .flac)."""
    import soundfile as sf

    t = np.arange(int(seconds * sample_rate)) / sample_rate
    wave = (0.1 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)  # [S]
    data = np.stack([wave] * channels, axis=1) if channels > 1 else wave  # [S] -> [S, C]
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, data, sample_rate, format=path.suffix[1:].upper())
    return path


def cv_row(path: str, sentence: str, client: str = "spk1", header=CV_HEADER) -> str:
    values = {"client_id": client, "path": path, "sentence": sentence, "locale": "en"}
    return "\t".join(values.get(col, "") for col in header)


def write_tsv(path: Path, lines: list[str], header=CV_HEADER) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(["\t".join(header), *lines]) + "\n", encoding="utf-8")
    return path


def make_cv_lang(lang_dir: Path, splits: dict[str, list[tuple[str, str, float]]], header=CV_HEADER) -> Path:
    """splits: {split: [(clip name, sentence, seconds)]}; seconds <= 0 writes no clip (missing)."""
    for split, rows in splits.items():
        for name, _, seconds in rows:
            if seconds > 0:
                tone(lang_dir / "clips" / name, seconds)
        write_tsv(lang_dir / f"{split}.tsv", [cv_row(n, s, header=header) for n, s, _ in rows], header)
    return lang_dir
