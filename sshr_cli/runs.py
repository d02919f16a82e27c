"""The run and checkpoint layout: file names, `best`/`last`, and the readers of what runs record.

    exp/NAME/                 a run folder (finetune --out)
      config.yaml             the resolved recipe
      best/  last/            checkpoint folders (best = selected on dev; last = latest, resumable)
        config.json, model.safetensors, vocab.json, preprocessor_config.json, tokenizer files
        train_config.yaml     the same recipe, saved with each checkpoint
        train_summary.json    {"step", "units", "languages", "dev"}: what this checkpoint is
        unigrams.txt          training-text words, most frequent first (LM decoding)
        README.md             what this checkpoint is and how to load it (sshr, transformers)
        trainer_state.pt      last/ only: optimizer, scheduler and RNG states

The model's own file names (config.json, vocab.json, ...) live in sshr_cli.model.constants
and are re-exported here. No network: a Hub id is resolved by sshr_cli.hub.resolve_checkpoint.
"""

from __future__ import annotations

import os
from pathlib import Path

from sshr_cli.errors import CheckpointError, ConfigError, DataError, SshrError
from sshr_cli.model.constants import (CONFIG_FILE, HUB_ID, ONNX_CONFIG_FILE, ONNX_FILE,  # noqa: F401  re-export
                                      PREPROCESSOR_FILE, PROCESSOR_FILE, VOCAB_FILE, WEIGHTS_FILE)
from sshr_cli.model.fileio import read_json  # noqa: F401  re-export: the one JSON reader

BEST, LAST = "best", "last"  # checkpoint folders of a run, in the order a run folder stands for them
RUN_CONFIG = "config.yaml"  # exp/NAME/config.yaml: the resolved recipe (finetune)
RECIPE_FILE = "train_config.yaml"  # the same recipe, saved inside each checkpoint folder
TRAIN_SUMMARY_FILE = "train_summary.json"  # finetune's record of a checkpoint: step, units, languages, dev
UNIGRAMS_FILE = "unigrams.txt"  # in a checkpoint folder: training-text words, most frequent first
TRAINER_STATE = "trainer_state.pt"  # last/ only; never pushed, never copied to best/
CHECKPOINT_README = "README.md"  # in each checkpoint folder: what it is, how to load it (the pushed card replaces it)


def is_hub_id(name: str | os.PathLike) -> bool:
    """Spelled like a Hub repo id (org/name); says nothing about whether it exists."""
    return bool(HUB_ID.match(str(name)))


# ---------------------------------------------------------------- folders
def checkpoint_folder(path: str | os.PathLike) -> Path:
    """A checkpoint folder as is; a run folder (exp/NAME) stands for its best/, else its last/.
    A one-line CheckpointError when `path` is no folder or holds no checkpoint."""
    path = Path(path).expanduser()
    if not path.is_dir():
        raise CheckpointError(f"{path} is not a folder; pass a run folder (exp/NAME), a checkpoint folder "
                              "or a Hub id (org/name)")
    if (path / CONFIG_FILE).is_file():
        return path
    for sub in (BEST, LAST):
        if (path / sub / CONFIG_FILE).is_file():
            return path / sub
    raise CheckpointError(f"{path} holds no checkpoint (no {CONFIG_FILE}, {BEST}/{CONFIG_FILE} "
                          f"or {LAST}/{CONFIG_FILE})")


def locate_run(path: str | os.PathLike) -> tuple[Path, Path]:
    """(run folder, checkpoint folder) for exp/NAME, exp/NAME/best or a bare checkpoint folder;
    a run must have a best/ checkpoint (what push uploads)."""
    path = Path(path)
    if not path.is_dir():
        raise ConfigError(f"{path} is not a folder; pass a run folder such as exp/NAME")
    if (path / BEST / CONFIG_FILE).is_file():
        return path, path / BEST
    if (path / CONFIG_FILE).is_file():
        parent = path.parent
        return (parent, path) if path.name == BEST else (path, path)
    if (path / LAST / CONFIG_FILE).is_file():
        raise CheckpointError(f"{path} has {LAST}/ but no {BEST}/ checkpoint; push needs {BEST}/ "
                              "(finish or re-run training)")
    raise CheckpointError(f"{path} holds no checkpoint (no {BEST}/{CONFIG_FILE} or {CONFIG_FILE})")


def is_run_folder(path: Path) -> bool:
    """A folder holding a best/ or last/ checkpoint folder."""
    return any((path / sub).is_dir() for sub in (BEST, LAST))


# ---------------------------------------------------------------- readers
def read_optional_json(path: str | os.PathLike, error: type[SshrError] = DataError) -> dict:
    """A JSON object file, {} when it is absent (or holds no object); corrupt is one `error`."""
    path = Path(path)
    if not path.is_file():
        return {}
    data = read_json(path, error, hint="re-run the command that wrote it")
    return data if isinstance(data, dict) else {}


def read_yaml(path: str | os.PathLike) -> dict:
    """A YAML mapping file, {} when it is absent (or holds no mapping); invalid YAML is a DataError."""
    import yaml

    path = Path(path)
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: not valid YAML ({exc})") from exc
    return data if isinstance(data, dict) else {}


def run_config(run_dir: str | os.PathLike | None) -> dict:
    """The run's resolved recipe (exp/NAME/config.yaml), {} if absent."""
    return read_yaml(Path(run_dir) / RUN_CONFIG) if run_dir else {}


def recorded_units(checkpoint: str | os.PathLike) -> str | None:
    """"phonemes" or "chars", as finetune recorded them in train_summary.json (None if absent or unreadable)."""
    try:
        return read_optional_json(Path(checkpoint) / TRAIN_SUMMARY_FILE).get("units")
    except SshrError:
        return None


