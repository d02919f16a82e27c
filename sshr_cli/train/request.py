"""What `sshr finetune` is asked to do: the recipe, the data, the run folder and the encoder.

Its own module (no torch, no transformers) so that planning and `--dry-run` stay light.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sshr_cli.config import RunConfig


@dataclass(frozen=True)
class FinetuneRequest:
    recipe: RunConfig
    data_dir: Path
    out_dir: Path
    model: str  # HF id or folder of the encoder to start from (ignored when the recipe says "tiny")
    resume: bool | None = None  # None: resume if OUT/last/ has a trainer state, else start
    show_progress: bool = True
