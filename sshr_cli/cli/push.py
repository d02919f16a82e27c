"""`sshr push`: a run's best checkpoint and its model card to the Hugging Face Hub (or a dry run)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sshr_cli.cli._app import cli_errors, console, examples, out, split_csv
from sshr_cli.cli._progress import library_bars, progress_option

EXAMPLES = examples(
    "sshr push --dry-run",
    "sshr push exp/cv_sshr --repo my-org/cv-sshr-en-de --private",
    "sshr push --datasets common_voice --license cc-by-nc-4.0 --no-progress")


@cli_errors
def push(
    run: Optional[Path] = typer.Argument(None, help="Run folder (exp/NAME) or checkpoint folder "
                                                    "(default: the workspace's latest run)."),
    repo: Optional[str] = typer.Option(None, "--repo", help="ORG/NAME (default: <your-hf-username>/<run-name>)."),
    private: bool = typer.Option(False, "--private",
                                 help="Create the repo as private (an existing repo keeps its visibility)."),
    revision: str = typer.Option("main", "--revision", help="Branch to commit to (created if missing)."),
    commit_message: Optional[str] = typer.Option(None, "--commit-message", help="Commit summary."),
    license: Optional[str] = typer.Option(None, "--license", help="Card license (default: the encoder's, e.g. "
                                                                  "cc-by-nc-4.0 for facebook/mms-*)."),
    datasets: Optional[str] = typer.Option(None, "--datasets", help="Comma-separated Hub dataset ids for the card."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List the files and print the card; no token, no network."),
    progress: bool = progress_option(),
) -> None:
    """Upload a run's best checkpoint with a model card to the Hugging Face Hub (token: HF_TOKEN or `hf auth login`)."""
    from sshr_cli import hub

    if run is None:
        run = _latest_run()
    card = dict(license=license, datasets=tuple(split_csv(datasets) or ()))
    if dry_run:
        _print_plan(hub.plan_push(run, repo, **card))
        return
    library_bars(progress)  # huggingface_hub's upload bars
    result = hub.push(run, repo, private=private, revision=revision, commit_message=commit_message, **card)
    console.print(f"pushed {len(result.files)} files to {result.repo_id}: {result.commit_url}", soft_wrap=True,
                  markup=False)


def _latest_run() -> Path:
    from sshr_cli.errors import ConfigError
    from sshr_cli.workspace import load_workspace

    run = load_workspace().latest_run()
    if run is None:
        raise ConfigError("no training run recorded in this folder; pass one: sshr push exp/NAME")
    console.print(f"pushing the latest run: {run}", markup=False)
    return run


def _print_plan(plan) -> None:
    """What a push would send, on stdout: the files with their sizes, then the model card."""
    from sshr_cli.hub import CARD_FILE

    out.print(f"would push to {plan.repo_id} (dry run: no token used, nothing sent), "
              f"from {plan.checkpoint_dir}:", soft_wrap=True, markup=False)
    for f in plan.files:
        out.print(f"  {f.name}  {f.stat().st_size:,} bytes", soft_wrap=True, markup=False)
    out.print(f"  {CARD_FILE}  {len(plan.card.encode()):,} bytes  (the model card, below)\n", soft_wrap=True)
    out.print(plan.card, markup=False, soft_wrap=True)
