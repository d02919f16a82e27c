"""Each language's mean language frame, stored in a checkpoint folder for language-forced decoding.

    means = FrameMeans(); means.add("de", out.lid_frame)        # [B, D] pooled frames of German audio
    files = {LANGUAGE_FRAMES_FILE: means.payload(lid_layer=8)}  # written with the checkpoint
    frame = stored_frame(folder, "de")                          # [D], for SSHRForCTC.force_language_frame

language_frames.json: {"lid_layer", "utterances_per_language" (the cap), "counts": {lang: n},
"frames": {lang: [D floats]}}. The mean is over the first LANGUAGE_FRAME_UTTERANCES training
utterances of each language, in manifest order, with the weights of the checkpoint it sits in.
"""

from __future__ import annotations

from pathlib import Path

import torch

from .constants import LANGUAGE_FRAME_UTTERANCES, LANGUAGE_FRAMES_FILE
from .errors import CheckpointError, ConfigError
from .fileio import read_json


class FrameMeans:
    """A streaming mean of language frames per language (float64 sums)."""

    def __init__(self):
        self.sums: dict[str, torch.Tensor] = {}
        self.counts: dict[str, int] = {}

    def add(self, lang: str, frames: torch.Tensor) -> None:
        """frames [B, D]: B utterances of `lang`."""
        total = frames.detach().double().sum(dim=0).cpu()  # [B, D] -> [D]
        self.sums[lang] = self.sums[lang] + total if lang in self.sums else total
        self.counts[lang] = self.counts.get(lang, 0) + frames.shape[0]

    def payload(self, lid_layer: int) -> dict:
        frames = {lang: (s / self.counts[lang]).float().tolist() for lang, s in sorted(self.sums.items())}
        return {"lid_layer": lid_layer, "utterances_per_language": LANGUAGE_FRAME_UTTERANCES,
                "counts": dict(sorted(self.counts.items())), "frames": frames}


def stored_frame(folder: str | Path, lang: str) -> torch.Tensor:
    """`lang`'s mean language frame [D] from a checkpoint folder; one-line errors for a folder
    without stored frames and for a language it has none for."""
    path = Path(folder) / LANGUAGE_FRAMES_FILE
    if not path.is_file():
        raise CheckpointError(f"{folder} has no {LANGUAGE_FRAMES_FILE}, so it cannot force a language; "
                              "checkpoints written by this version of `sshr finetune` have one (fine-tune again)")
    frames = read_json(path).get("frames", {})
    if lang not in frames:
        raise ConfigError(f"--lang {lang}: this checkpoint has language frames for {', '.join(sorted(frames))}; "
                          "pick one of those")
    return torch.tensor(frames[lang], dtype=torch.float32)
