"""`sshr demo`: the whole pipeline on a generated corpus, as the commands a user would type."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sshr_cli import demo as demo_defaults  # constants; imports nothing heavy
from sshr_cli.cli._app import cli_errors, console, examples, split_csv
from sshr_cli.cli._progress import progress_option

EXAMPLES = examples(
    "sshr demo",
    "sshr demo --langs en,de --budget-minutes 4 --no-chars",
    "sshr demo --out demo_ci --no-progress")


@cli_errors
def demo(
    langs: str = typer.Option(",".join(demo_defaults.DEMO_LANGS), help="Comma-separated languages of the generated corpus."),
    out: Path = typer.Option(Path("demo"), "--out", help="Working folder (re-runs reuse finished work)."),
    budget_minutes: float = typer.Option(demo_defaults.DEMO_BUDGET_MIN, help="Time budget in minutes; the final table compares against it."),
    clips: int = typer.Option(demo_defaults.DEMO_CLIPS_PER_LANG, min=10, help="Clips per language in the generated release."),
    max_steps: Optional[int] = typer.Option(None, min=1, help="Training updates per model (default: the tiny recipe's)."),
    chars: bool = typer.Option(True, "--chars/--no-chars", help="Also run the grapheme variant with an n-gram LM."),
    progress: bool = progress_option(),
) -> None:
    """Run the whole pipeline on a generated corpus (CPU, no network), as the commands you would type."""
    from sshr_cli.demo import INTRO, DemoOptions, open_workdir, print_summary, run_demo

    opts = DemoOptions(out_dir=out, langs=tuple(split_csv(langs) or ()), budget_minutes=budget_minutes,
                       clips_per_lang=clips, max_steps=max_steps, with_chars=chars, progress=progress)
    open_workdir(opts)  # bad options fail in one line, before the banner
    console.print(INTRO)
    result = run_demo(opts, echo=console.print)
    print_summary(result, opts, console)
