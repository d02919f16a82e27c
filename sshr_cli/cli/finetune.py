"""`sshr finetune`: plan the run (recipe, data, encoder, run folder), print it, train.

The run's narrative (the recipe, progress, skips, results) is its output, on stdout; stderr carries
only an error's one line, so a failure late in a run is still one line there."""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional

import typer

from sshr_cli.cli._app import cli_errors, examples, out as report, quiet_transformers, split_csv
from sshr_cli.cli._progress import library_bars, progress_option

EXAMPLES = examples(
    "sshr finetune",
    "sshr finetune --langs en,de --set train.lr=5e-5 --dry-run",
    "sshr finetune --config recipes/synthetic/tiny.yaml --model tiny_encoder --max-steps 50 --no-progress")


@cli_errors
def finetune(
    config: Optional[str] = typer.Option(None, "--config", "-c", help="Recipe YAML or name under recipes/ "
                                         "(default: the SSHR recipe for the prepared units)."),
    data: Optional[Path] = typer.Option(None, "--data", help="Prepared data folder (default: ./data)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Run folder (default: ./exp/<recipe>_<langs>_<date>)."),
    model: Optional[str] = typer.Option(None, "--model", help="Encoder: Hub id or folder (default: facebook/mms-300m)."),
    langs: Optional[str] = typer.Option(None, help="Comma-separated languages (default: every prepared one)."),
    max_steps: Optional[int] = typer.Option(None, min=1, help="Optimizer updates (overrides train.max_steps)."),
    set_: List[str] = typer.Option([], "--set", help="Override a recipe field: section.key=value (repeatable)."),
    resume: Optional[bool] = typer.Option(None, "--resume/--no-resume",
                                          help="Continue OUT/last/ (default: resume if it exists)."),
    progress: bool = progress_option(),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read the recipe and the data, plan the epoch, print "
                                 "batches, padding, hours, skips and epochs; load no weights, train nothing."),
) -> None:
    """Fine-tune an SSHR (or plain CTC) model on prepared manifests."""
    from sshr_cli.train.plan import plan_finetune
    from sshr_cli.workspace import load_workspace

    main_rank = os.environ.get("RANK", "0") == "0"  # under torchrun, only rank 0 prints
    ws = load_workspace()
    plan = plan_finetune(ws, config=config, data=data, out=out, model=model, langs=split_csv(langs),
                         max_steps=max_steps, overrides=tuple(set_), resume=resume, show_progress=progress,
                         check_gpu=not dry_run)
    if dry_run:  # imports neither torch nor transformers
        from sshr_cli.train.dryrun import dry_run as check_run

        for line in [*plan.notes, *check_run(plan.request).lines()]:
            report.print(line, soft_wrap=True)
        return
    quiet_transformers()  # no per-load reports or shard bars between our own lines
    library_bars(progress)
    if main_rank:
        _announce(plan)
        ws.record_run(plan.request.out_dir)
    from sshr_cli.train.loop import finetune as run_finetune

    result = run_finetune(plan.request, console=report)
    if main_rank and result.best_error is not None:
        from sshr_cli.runs import BEST

        report.print(f"best dev {result.metric.upper()} {100 * result.best_error:.2f}% at update "
                      f"{result.best_step}; checkpoint {result.out_dir / BEST}")


def _announce(plan) -> None:
    """The plan's notes, then the recipe in full, as it will be saved with the run."""
    from sshr_cli.config import dump_yaml

    for note in plan.notes:
        report.print(note, soft_wrap=True)
    report.print(f"[bold]recipe[/] {plan.recipe_path} -> {plan.request.out_dir}\n{dump_yaml(plan.request.recipe)}")
