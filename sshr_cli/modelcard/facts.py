"""What a checkpoint folder proves about its model, for the model card and the checkpoint README.

Nothing is guessed: the architecture, languages and vocabulary come from config.json, the
encoder from the recipe saved with the checkpoint (or the run), the update and units from
train_summary.json. Local paths are shown by their last part only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sshr_cli.constants import SSHR_CONFIG_KEY
from sshr_cli.errors import CheckpointError
from sshr_cli.runs import BEST, CONFIG_FILE, RECIPE_FILE, TRAIN_SUMMARY_FILE, is_hub_id, read_json, read_optional_json, \
    read_yaml, run_config

AUTO_MAP_KEY = "auto_map"  # config.json: the model's own code (transformers' trust_remote_code)


@dataclass(frozen=True)
class CheckpointFacts:
    arch: str  # "sshr" | "ctc" | the HF architecture name
    languages: tuple[str, ...]
    base_model: str | None  # a Hub id, or None
    encoder: str | None  # as recorded, Hub id or local path
    vocab_size: int | None
    sshr: dict  # the "sshr" section of config.json ({} for plain HF checkpoints)
    units: str | None  # "phonemes" | "chars", from train_summary.json
    step: int | None  # the optimizer update this checkpoint was saved at
    best: bool  # a run's best/ (selected on dev), rather than some other checkpoint folder
    plain_ctc: bool  # a plain transformers *ForCTC: pipeline() loads it with no code of ours
    remote_code: bool  # carries its modeling code (auto_map): transformers loads it with trust_remote_code=True

    @property
    def transformers_loadable(self) -> bool:
        return self.plain_ctc or self.remote_code


def checkpoint_facts(checkpoint_dir: Path, run_dir: Path | None = None) -> CheckpointFacts:
    """What config.json (and the run's config.yaml, if any) record about the model."""
    config = read_json(Path(checkpoint_dir) / CONFIG_FILE, CheckpointError, hint="cannot read the checkpoint config")
    sshr = config.get(SSHR_CONFIG_KEY) or {}
    archs = config.get("architectures") or []
    encoder = _recorded_encoder(config, Path(checkpoint_dir), run_dir)
    arch = sshr.get("arch") or (archs[0] if archs else "unknown")
    summary = read_optional_json(Path(checkpoint_dir) / TRAIN_SUMMARY_FILE)
    remote_code = isinstance(config.get(AUTO_MAP_KEY), dict) and "AutoModelForCTC" in config[AUTO_MAP_KEY]
    return CheckpointFacts(
        arch=arch, languages=tuple(sshr.get("languages") or summary.get("languages") or ()),
        base_model=encoder if _is_hub_id(encoder) else None,
        encoder=shown_path(encoder), vocab_size=config.get("vocab_size"), sshr=sshr,
        units=summary.get("units"), step=summary.get("step"), best=Path(checkpoint_dir).name == BEST,
        plain_ctc=any(a.endswith("ForCTC") for a in archs) and arch != "sshr" and not remote_code,
        remote_code=remote_code,
    )


def _recorded_encoder(config: dict, checkpoint_dir: Path, run_dir: Path | None) -> str | None:
    """The encoder the model was fine-tuned from: model.encoder of the recipe saved with the
    checkpoint (train_config.yaml) or with the run (config.yaml); else HF's own _name_or_path."""
    for recipe in (read_yaml(checkpoint_dir / RECIPE_FILE), run_config(run_dir)):
        model = recipe.get("model")
        encoder = model.get("encoder") if isinstance(model, dict) else model
        if isinstance(encoder, str) and encoder:
            return encoder
    name = config.get("_name_or_path")
    return name if isinstance(name, str) and is_hub_id(name) else None


def _is_hub_id(name: str | None) -> bool:
    """A Hub id (org/name) that is not also a local folder ("tiny" or "./enc" are no base model)."""
    return bool(name) and is_hub_id(name) and not Path(name).expanduser().exists()


def shown_path(value):
    """Local paths are shown by their last part only: a card must not publish the user's folders."""
    if isinstance(value, str) and (value.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]", value)):
        return f"local folder '{Path(value).name}'"
    return value
