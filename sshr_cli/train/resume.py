"""What survives a resume: the State of a run, the recipe it was trained with, and where it stopped.

    folder = resume_folder(out, req.resume, info)   # OUT/last/ when it can be continued, else None
    cfg = resumed_recipe(req.recipe, folder, out)   # the saved recipe; a different one is a ConfigError
    state, rng = restore(folder, vocab, vocab_file, opt)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
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
    lr_extensions: list = field(default_factory=list)  # [from_step, old max_steps, new max_steps] per raise


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
    """The recipe to train with: `cfg` for a new run; the saved one, if it equals `cfg`, for a resume.
    A larger train.max_steps is the one change allowed (continue a run: see extend_schedule)."""
    if resume_from is None:
        return cfg
    saved = saved_recipe(resume_from)
    saved = saved.replace("train", max_minutes=cfg.train.max_minutes)  # a time limit belongs to an invocation
    if cfg.train.max_steps > saved.train.max_steps:
        saved = saved.replace("train", max_steps=cfg.train.max_steps)
    changed = recipe_changes(saved.to_dict(), cfg.to_dict())
    if changed:
        raise ConfigError(f"{out} was trained with a different recipe ({', '.join(changed[:4])}); "
                          f"resume with the same recipe, or pass --no-resume or another --out")
    return saved


def saved_recipe(folder: Path) -> RunConfig:
    """The recipe a checkpoint folder was trained with (its train_config.yaml); unreadable is one line."""
    from sshr_cli.runs import read_yaml

    saved_file = folder / ckpt.RECIPE_FILE
    if not saved_file.is_file():
        raise CheckpointError(f"{saved_file} is missing; this run cannot be resumed: pass --no-resume or another --out")
    return from_dict(read_yaml(saved_file), where=str(saved_file))


def extend_schedule(state: State, saved_max_steps: int, max_steps: int) -> str | None:
    """Record a raised max_steps in `state` (the lr decay is re-planned from state.step, see
    schedule.planned_factor); what to tell the user, or None when max_steps is unchanged."""
    if max_steps <= saved_max_steps:
        return None
    state.lr_extensions.append([state.step, saved_max_steps, max_steps])
    return (f"continuing {saved_max_steps} -> {max_steps} updates: the learning-rate decay is re-planned "
            f"from update {state.step} to end at update {max_steps}")


def replan(opt, cfg: RunConfig, extensions: list) -> None:
    """Swap in the scheduler of a run whose max_steps was raised, at the restored update; the lr in
    force now is the one the re-planned schedule gives at this update (the same as before the swap)."""
    from sshr_cli.train.schedule import make_scheduler

    saved = opt.scheduler.state_dict()
    opt.scheduler = make_scheduler(opt.optimizer, cfg.train.max_steps, cfg.schedule, extensions)
    opt.scheduler.load_state_dict(saved)
    sched = opt.scheduler
    for group, base, factor in zip(opt.optimizer.param_groups, sched.base_lrs, sched.lr_lambdas):
        group["lr"] = base * factor(sched.last_epoch)
    sched._last_lr = [g["lr"] for g in opt.optimizer.param_groups]  # what get_last_lr() reports


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
    state = State(**{f.name: t[f.name] for f in dataclasses.fields(State) if f.name in t})  # older states lack new fields
    opt.load_state_dict(t)
    return state, t["rng"]
