"""Frame-level phone labels for the content probe.

Two ways, and layers.json says which one was used:
- "forced_align": a CTC checkpoint (--align-model) is force-aligned to the manifest `units`
  (torchaudio.functional.forced_align). A unit labels its frames from its first frame up to the
  next unit's first frame (CTC spikes are short; the blanks after a unit belong to it); frames
  before the first unit and after the last unit's span are silence.
- "uniform" (no --align-model): the speech region is where the frame energy is within
  SPEECH_DB of the loudest frame; the units (word separators left out) share it equally, in
  order; frames outside it are silence. Labels are rough, so accuracies are lower than with
  alignments, but their rise and fall over the layers is what the recommendation reads.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from sshr_cli.constants import WORD_SEPARATOR
from sshr_cli.errors import CheckpointError, DataError

SILENCE = "<sil>"  # frame label outside speech (and at word separators)
SPEECH_DB = 35.0  # dB below the loudest 20 ms frame that still counts as speech
FRAME_STRIDE_SAMPLES = 320  # 20 ms at 16 kHz
ALIGN_FRAME_SLACK = 2  # frames by which the align model's output may differ from the encoder's

Span = tuple[str, int, int]  # (unit, first frame, last frame + 1)


def frame_labels(units: Sequence[str], wave: np.ndarray, n_frames: int, spans: "list[Span] | str | None") -> list[str]:
    """One label per encoder frame. `spans`: forced-alignment spans, an alignment error, or None (uniform)."""
    if isinstance(spans, str):
        raise DataError(spans)
    if spans is not None:
        return aligned_labels(spans, n_frames)
    return uniform_labels([u for u in units if u != WORD_SEPARATOR], wave, n_frames)


def aligned_labels(spans: list[Span], n_frames: int) -> list[str]:
    labels = [SILENCE] * n_frames
    for k, (unit, start, end) in enumerate(spans):
        stop = spans[k + 1][1] if k + 1 < len(spans) else end
        for t in range(start, min(stop, n_frames)):
            labels[t] = SILENCE if unit == WORD_SEPARATOR else unit
    return labels


def uniform_labels(units: Sequence[str], wave: np.ndarray, n_frames: int) -> list[str]:
    if not units:
        raise DataError("no units to label")
    start, stop = speech_region(wave, n_frames)
    labels = [SILENCE] * n_frames
    span = stop - start
    for t in range(start, stop):
        labels[t] = units[min(len(units) - 1, (t - start) * len(units) // span)]
    return labels


def speech_region(wave: np.ndarray, n_frames: int) -> tuple[int, int]:
    """[first, last + 1) frames whose energy is within SPEECH_DB of the loudest frame."""
    usable = min(n_frames, len(wave) // FRAME_STRIDE_SAMPLES)
    frames = np.asarray(wave[: usable * FRAME_STRIDE_SAMPLES], np.float64).reshape(usable, FRAME_STRIDE_SAMPLES)  # [S] -> [T, 320]
    energy_db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    voiced = np.flatnonzero(energy_db >= energy_db.max() - SPEECH_DB)
    return int(voiced[0]), int(voiced[-1]) + 1


class CTCAligner:
    """Force-aligns manifest units with a CTC checkpoint loaded by sshr_cli.model.inference."""

    def __init__(self, recognizer):
        self.rec = recognizer
        self.has_separator = recognizer.vocab.separator_id is not None
        self.unknown_units = 0

    def __call__(self, waves: Sequence[np.ndarray], units: Sequence[Sequence[str]],
                 n_frames: Sequence[int]) -> list["list[Span] | str"]:
        """Spans per wave; `n_frames` (the analysed encoder's frames) must match the CTC model's."""
        out = self.rec(waves)
        log_probs = out.log_probs.float().cpu()  # [B, T, V]
        for b, n in enumerate(n_frames):
            if abs(int(out.lengths[b]) - n) > ALIGN_FRAME_SLACK:
                raise CheckpointError(f"--align-model {self.rec.source} gives {int(out.lengths[b])} frames where the "
                                      f"encoder gives {n}; both must run at the same frame rate (20 ms)")
        return [self._align(log_probs[b, : int(out.lengths[b])], u) for b, u in enumerate(units)]

    def _align(self, log_probs, units: Sequence[str]) -> "list[Span] | str":
        import torch
        import torchaudio.functional as AF

        units = [u for u in units if self.has_separator or u != WORD_SEPARATOR]
        self.unknown_units += self.rec.vocab.count_unknown(units)
        ids = self.rec.vocab.encode(units)
        if not ids:
            return "no units to align"
        targets = torch.tensor([ids], dtype=torch.int32)  # [1, N]
        try:
            tokens, scores = AF.forced_align(log_probs.unsqueeze(0), targets, blank=0)  # [T, V] -> [1, T, V]
        except RuntimeError as exc:
            return f"forced alignment failed ({str(exc).splitlines()[0]})"
        merged = AF.merge_tokens(tokens[0], scores[0].exp(), blank=0)
        if len(merged) != len(units):
            return f"alignment has {len(merged)} spans for {len(units)} units"
        return [(u, s.start, s.end) for u, s in zip(units, merged)]
