"""Rich progress bars on stderr, shaped as the callbacks the library takes.

The library reports progress through plain callables; these context managers draw them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sshr_cli.cli._app import console


@contextmanager
def task_bars() -> Iterator[Callable[[str, float], Callable[[float], None]]]:
    """Yields task(description, total) -> advance(n): one bar per task, default columns."""
    from rich.progress import Progress

    with Progress(console=console, transient=True) as bar:
        def task(description: str, total: float) -> Callable[[float], None]:
            tid = bar.add_task(description, total=total)
            return lambda n: bar.advance(tid, n)

        yield task


@contextmanager
def stage_bars() -> Iterator[Callable[[str, int, int], None]]:
    """Yields progress(stage, done, total): a counted bar per stage, added when the stage starts."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield progress


@contextmanager
def seconds_bar(label: str, total: float) -> Iterator[Callable[[float], None]]:
    """Yields advance(seconds): one bar over `total` seconds of audio, with the time remaining."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed:.0f}/{task.total:.0f} s audio"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda seconds: bar.advance(task, seconds)
