"""From flags (all optional) and the workspace to a FinetuneRequest: what bare `sshr finetune` does.

    data    --data > $SSHR_DATA_DIR > sshr.toml > ./data
    recipe  --config > the SSHR recipe for the prepared units (phonemes -> recipes/commonvoice/sshr.yaml,
            chars -> recipes/mlsuperb/sshr.yaml)
    model   --model > the recipe's model.encoder > $SSHR_MODEL > sshr.toml > facebook/mms-300m
    out     --out > EXP/<recipe>_<langs>_<yyyymmdd> (EXP: --exp-dir > $SSHR_EXP_DIR > sshr.toml > ./exp)
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from sshr_cli.config import RECIPES_DIR, TINY_ENCODER, RunConfig, load_recipe, resolve_recipe, validate
from sshr_cli.data.manifest import prepared_langs, prepared_units
from sshr_cli.train.request import FinetuneRequest

RECIPE_FOR_UNITS = {"phonemes": "commonvoice/sshr.yaml", "chars": "mlsuperb/sshr.yaml"}
TINY_RECIPE = "recipes/synthetic/tiny.yaml"


@dataclass(frozen=True)
class Plan:
    request: FinetuneRequest
    recipe_path: Path
    run_name: str
    notes: tuple[str, ...]  # what was picked and why, and warnings, one line each


def plan_finetune(workspace, config: str | None = None, data: Path | None = None, out: Path | None = None,
                  model: str | None = None, langs: list[str] | None = None, max_steps: int | None = None,
                  overrides: tuple[str, ...] = (), resume: bool | None = None, show_progress: bool = True,
                  check_gpu: bool = True) -> Plan:
    """The request and its notes; check_gpu=False (--dry-run) skips the GPU check and its torch import."""
    data_dir = workspace.data_dir(data)
    notes = []
    recipe_path = resolve_recipe(config) if config else _recipe_for(data_dir, notes)
    recipe = with_flags(load_recipe(recipe_path, overrides), str(recipe_path), langs=langs, max_steps=max_steps,
                        model=model)
    model_id = _model(workspace, model, recipe, notes)
    chosen = list(recipe.data.langs or prepared_langs(data_dir))
    name = run_name(recipe_path, chosen)
    out_dir = Path(out) if out is not None else workspace.exp_dir() / name
    if recipe.model.encoder != TINY_ENCODER:
        from sshr_cli.hub import resolve_model_dir

        resolve_model_dir(model_id)  # fail now, in one line, if it can be neither found nor downloaded
        notes += gpu_warning() if check_gpu else []
    check_inputs(data_dir, recipe, out_dir)
    request = FinetuneRequest(recipe=recipe, data_dir=data_dir, out_dir=out_dir, model=model_id, resume=resume,
                              show_progress=show_progress)
    return Plan(request=request, recipe_path=recipe_path, run_name=out_dir.name, notes=tuple(notes))


def check_inputs(data_dir: Path, recipe: RunConfig, out_dir: Path) -> None:
    """What finetune reads first, read now: a bad report, vocab.json or language list, or an output
    folder that cannot be made, fails in one line before the recipe is printed."""
    from sshr_cli.data.manifest import check_langs, vocab_path
    from sshr_cli.io import check_folder_writable
    from sshr_cli.text.vocab import Vocab

    prepared_units(data_dir)
    Vocab.load(vocab_path(data_dir))
    check_langs(data_dir, recipe.data.langs, (recipe.data.train_split, recipe.data.dev_split))
    check_folder_writable(out_dir)


def with_flags(recipe: RunConfig, where: str, langs: list[str] | None = None, max_steps: int | None = None,
               model: str | None = None) -> RunConfig:
    """The recipe with finetune's typed flags applied over it (and over --set): --langs, --max-steps, --model."""
    if langs:
        recipe = recipe.replace("data", langs=tuple(langs))
    if max_steps is not None:
        recipe = recipe.replace("train", max_steps=max_steps)
    if model is not None:  # the flag beats the recipe's model.encoder (and is what the run records)
        recipe = recipe.replace("model", encoder=model)
    validate(recipe, where)
    return recipe


def _recipe_for(data_dir: Path, notes: list[str]) -> Path:
    units = prepared_units(data_dir)
    recipe = resolve_recipe(RECIPE_FOR_UNITS[units])
    notes.append(f"recipe {_show(recipe)} (the data has {units} targets; pick another with --config)")
    return recipe


def _model(workspace, flag: str | None, recipe: RunConfig, notes: list[str]) -> str:
    if flag is not None:
        return flag
    if recipe.model.encoder:
        return recipe.model.encoder
    model = workspace.model(None)
    notes.append(f"encoder {model} (choose another with --model ID|PATH)")
    return model


def run_name(recipe_path: Path, langs: list[str], today: datetime.date | None = None) -> str:
    """recipes/commonvoice/sshr.yaml, [en, de] -> commonvoice-sshr_de-en_20261127."""
    try:
        stem = "-".join(recipe_path.resolve().relative_to(RECIPES_DIR).with_suffix("").parts)
    except ValueError:
        stem = recipe_path.stem
    day = (today or datetime.date.today()).strftime("%Y%m%d")
    return f"{stem}_{'-'.join(sorted(langs)) or 'all'}_{day}"


def gpu_warning() -> list[str]:
    import torch

    if torch.cuda.is_available():
        return []
    return [f"[yellow]no GPU: fine-tuning a full-size encoder on CPU is extremely slow (days, not hours); "
            f"for a quick CPU run use --config {TINY_RECIPE}[/]"]


def _show(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(RECIPES_DIR.parent))
    except ValueError:
        return str(path)
