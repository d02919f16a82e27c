"""Checkpoint folders: written to a temp folder beside the target, then renamed into place.

    OUT/last/   model (SSHRForCTC.save_pretrained) + train_config.yaml + unigrams.txt + README.md + trainer_state.pt
    OUT/best/   the same minus trainer_state.pt (hard links to last/'s files where possible)

A kill -9 at any moment leaves either the previous complete folder or the new one, never a mix;
stale temp folders are removed on the next start. trainer_state.pt holds only tensors and plain
Python values, so it loads with torch.load(weights_only=True).
"""

from __future__ import annotations

import os
import random
import shutil
from collections import Counter
from pathlib import Path
from typing import Iterable

import numpy as np
import torch

from sshr_cli.errors import CheckpointError, as_os_error
from sshr_cli.io import atomic_dir
from sshr_cli.modelcard.usage import checkpoint_readme
from sshr_cli.runs import BEST, CHECKPOINT_README, LAST, RECIPE_FILE, TRAINER_STATE  # noqa: F401  re-export
from sshr_cli.runs import TRAIN_SUMMARY_FILE as SUMMARY_FILE  # update, dev result, units: what this checkpoint is
from sshr_cli.runs import UNIGRAMS_FILE as UNIGRAMS


def save_checkpoint(folder: Path, model, recipe_yaml: str, unigrams: list[str],
                    trainer_state: dict | None = None, summary: dict | None = None,
                    extra: dict | None = None) -> Path:
    """Write a complete checkpoint folder atomically (see the module docstring); `extra`: more
    files by name (e.g. the language frames), as SSHRForCTC.write_files takes them."""
    files = {RECIPE_FILE: recipe_yaml, UNIGRAMS: "".join(f"{w}\n" for w in unigrams), **(extra or {})}
    if summary is not None:
        files[SUMMARY_FILE] = summary
    with atomic_dir(folder) as tmp:  # one temp folder for the model files and the trainer state
        try:
            model.write_files(tmp, extra=files)
        except Exception as exc:  # safetensors reports a full disk as SafetensorError("... (os error 27)")
            os_error = as_os_error(exc, folder)
            if os_error is None or os_error is exc:
                raise
            raise os_error from exc
        (tmp / CHECKPOINT_README).write_text(checkpoint_readme(tmp, folder.parent), encoding="utf-8")
        if trainer_state is not None:
            save_torch(trainer_state, tmp / TRAINER_STATE)
    return folder


class _Recorder:
    """A file object that keeps the OSError of a failed write: torch.save turns it into a RuntimeError
    ("inline_container.cc ... unexpected pos") that no longer says the disk is full."""

    def __init__(self, f):
        self.f, self.error = f, None

    def write(self, data) -> int:
        try:
            return self.f.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        self.f.flush()


def save_torch(obj, path: Path) -> None:
    """torch.save, where a failed write is the OSError it was (ENOSPC, EFBIG, ...) naming `path`."""
    with open(path, "wb") as f:
        out = _Recorder(f)
        try:
            torch.save(obj, out)
        except RuntimeError:
            if out.error is None:
                raise
            raise OSError(out.error.errno, out.error.strerror, str(path)) from out.error


def promote_to_best(last: Path, best: Path) -> Path:
    """best/ := last/ without trainer_state.pt; files are hard-linked (never rewritten in place)."""
    with atomic_dir(best) as tmp:
        for src in last.rglob("*"):
            if src.is_dir() or src.name == TRAINER_STATE:
                continue
            dst = tmp / src.relative_to(last)
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)
    return best


def remove_stale_temps(out_dir: Path) -> list[Path]:
    """Temp folders a killed save left behind (.last.*.tmp, .best.*.tmp, .last.old)."""
    stale = [p for p in out_dir.glob(".*") if p.is_dir() and (p.name.endswith(".tmp") or p.name.endswith(".old"))]
    for p in stale:
        shutil.rmtree(p, ignore_errors=True)
    return stale


def resumable(out_dir: Path) -> Path | None:
    folder = out_dir / LAST
    return folder if (folder / TRAINER_STATE).is_file() else None


def load_trainer_state(folder: Path) -> dict:
    path = folder / TRAINER_STATE
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means the same thing
        raise CheckpointError(f"{path}: unreadable trainer state ({exc}); start again with --no-resume") from exc


def unigram_list(texts: Iterable[str]) -> list[str]:
    """Training-text words, most frequent first (ties alphabetical), for LM decoding."""
    counts = Counter(w for t in texts for w in t.split())
    return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


# ---------------------------------------------------------------- RNG states
def seed_everything(seed: int) -> None:
    """Python, NumPy (HF's SpecAugment masks draw from it) and torch (dropout), all from one seed."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state() -> dict:
    """Python, NumPy and torch RNG states as tensors/plain values (weights_only-loadable)."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    state = {"python": list(random.getstate()[1]), "python_version": random.getstate()[0],
             "python_gauss": random.getstate()[2],
             "numpy": torch.from_numpy(np.asarray(keys, dtype=np.int64)), "numpy_pos": int(pos),
             "numpy_gauss": (int(has_gauss), float(gauss)), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate((state["python_version"], tuple(state["python"]), state["python_gauss"]))
    has_gauss, gauss = state["numpy_gauss"]
    np.random.set_state(("MT19937", state["numpy"].numpy().astype(np.uint32), state["numpy_pos"], has_gauss, gauss))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
