"""Rich progress bars on stderr, shaped as the callbacks the library takes.

The library reports progress through plain callables; these context managers draw them, or,
with show=False (`--no-progress`, or SSHR_PROGRESS=0 in the environment), hand out callables
that do nothing. `--no-progress` also silences huggingface_hub's and transformers' own bars.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer

from sshr_cli.cli._app import console
from sshr_cli.constants import PROGRESS_ENV


def progress_option():
    """The `--progress/--no-progress` flag every long command takes."""
    return typer.Option(True, "--progress/--no-progress", envvar=PROGRESS_ENV, show_envvar=False,
                        help=f"Progress bars on stderr (--no-progress for logs and CI; also {PROGRESS_ENV}=0).")


def library_bars(show: bool) -> None:
    """Without progress, huggingface_hub's download/upload bars and transformers' loading bars go too.
    Process-wide, so only commands call it."""
    if show:
        return
    from huggingface_hub.utils import disable_progress_bars

    disable_progress_bars()
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # a command that never loads a model
        return
    hf_logging.disable_progress_bar()


def _ignore(*_args) -> None:
    return None


@contextmanager
def task_bars(show: bool = True) -> Iterator[Callable[[str, float], Callable[[float], None]]]:
    """Yields task(description, total) -> advance(n): one bar per task, default columns."""
    from rich.progress import Progress

    if not show:
        yield lambda description, total: _ignore
        return
    with Progress(console=console, transient=True) as bar:
        def task(description: str, total: float) -> Callable[[float], None]:
            tid = bar.add_task(description, total=total)
            return lambda n: bar.advance(tid, n)

        yield task


@contextmanager
def stage_bars(show: bool = True) -> Iterator[Callable[[str, int, int], None]]:
    """Yields progress(stage, done, total): a counted bar per stage, added when the stage starts."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if not show:
        yield _ignore
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield progress


@contextmanager
def seconds_bar(label: str, total: float, show: bool = True) -> Iterator[Callable[[float], None]]:
    """Yields advance(seconds): one bar over `total` seconds of audio, with the time remaining."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    if not show:
        yield _ignore
        return
    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed:.0f}/{task.total:.0f} s audio"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda seconds: bar.advance(task, seconds)
