"""What survives a resume: the State of a run, the recipe it was trained with, and where it stopped.

    folder = resume_folder(out, req.resume, info)   # OUT/last/ when it can be continued, else None
    cfg = resumed_recipe(req.recipe, folder, out)   # the saved recipe; a different one is a ConfigError
    state, rng = restore(folder, vocab, vocab_file, opt)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from sshr_cli.config import RunConfig, from_dict
from sshr_cli.errors import CheckpointError, ConfigError
from sshr_cli.text.vocab import Vocab
from sshr_cli.train import checkpoint as ckpt
from sshr_cli.train import distributed


@dataclass
class State:
    """Everything that changes during training and must survive a resume."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0  # micro-batches of `epoch` consumed by completed updates
    best_error: float | None = None  # on the full dev set
    best_step: int | None = None
    best_subset_error: float | None = None  # on train.eval_max_utterances' subset (picks full-dev candidates)
    evals_without_gain: int = 0
    bad_steps_total: int = 0


def resume_folder(out: Path, resume: bool | None, info: distributed.DistInfo) -> Path | None:
    """OUT/last/ if this run continues there (resume None: when it has a trainer state), else None."""
    if info.is_main:
        ckpt.remove_stale_temps(out) if out.is_dir() else None
    distributed.barrier(info)
    found = ckpt.resumable(out)
    if resume is False or found is None:
        if resume and found is None:
            raise CheckpointError(f"--resume: {out}/last/ has no trainer_state.pt; drop --resume to start")
        return None
    return found


def resumed_recipe(cfg: RunConfig, resume_from: Path | None, out: Path) -> RunConfig:
    """The recipe to train with: `cfg` for a new run; the saved one, if it equals `cfg`, for a resume."""
    if resume_from is None:
        return cfg
    import yaml

    saved_file = resume_from / ckpt.RECIPE_FILE
    saved = from_dict(yaml.safe_load(saved_file.read_text(encoding="utf-8")), where=str(saved_file))
    saved = saved.replace("train", max_minutes=cfg.train.max_minutes)  # a time limit belongs to an invocation
    changed = recipe_changes(saved.to_dict(), cfg.to_dict())
    if changed:
        raise ConfigError(f"{out} was trained with a different recipe ({', '.join(changed[:4])}); "
                          f"resume with the same recipe, or pass --no-resume or another --out")
    return saved


def recipe_changes(a: dict, b: dict, prefix: str = "") -> list[str]:
    """'section.key: old -> new' for every value that differs between two recipe dicts (lists == tuples)."""
    keys = []
    for k in sorted(set(a) | set(b)):
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            keys += recipe_changes(va, vb, f"{prefix}{k}.")
        elif va != vb and not (isinstance(va, (list, tuple)) and isinstance(vb, (list, tuple)) and list(va) == list(vb)):
            keys.append(f"{prefix}{k}: {va!r} -> {vb!r}")
    return keys


def trainer_state(state: State, opt) -> dict:
    """trainer_state.pt's content: the State's fields, the optimiser's states and every RNG."""
    return {**dataclasses.asdict(state), **opt.state_dict(), "rng": ckpt.rng_state()}


def restore(folder: Path, vocab: Vocab, vocab_file: Path, opt) -> tuple[State, dict]:
    """Load OUT/last/'s trainer state into `opt`; the State and the RNG states (to set just before training)."""
    t = ckpt.load_trainer_state(folder)
    if Vocab.load(folder) != vocab:
        raise CheckpointError(f"{folder}/vocab.json differs from {vocab_file}; "
                              f"this run was trained on other data: pass --no-resume or another --out")
    state = State(**{f.name: t.get(f.name, f.default) for f in dataclasses.fields(State)})  # older runs lack new fields
    opt.load_state_dict(t)
    return state, t["rng"]
