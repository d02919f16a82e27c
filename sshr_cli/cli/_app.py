"""The one Typer app, its root callback, the two consoles and what every command shares.

Command modules import from here (never from `sshr_cli.cli` itself), and `sshr_cli.cli`
registers their commands on `app`, so there is no import cycle.
"""

from __future__ import annotations

import functools
import logging
import os
from typing import Optional

import click
import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from sshr_cli import __version__
from sshr_cli.errors import DEBUG_ENV, DEBUG_HINT, NotBuiltError, SshrError, explain, one_line

# `sshr --help` order: the pipeline, then the tools; a command not named here follows them.
COMMAND_ORDER = ("prepare", "finetune", "decode", "score", "push", "lm", "analyze", "demo", "status", "synth", "export")


class PipelineOrder(TyperGroup):
    """Lists commands in COMMAND_ORDER (Typer alone puts command groups such as `prepare` last)."""

    def list_commands(self, ctx) -> list[str]:
        names = list(self.commands)
        rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(names, key=lambda name: (rank.get(name, len(COMMAND_ORDER)), names.index(name)))


console = Console(stderr=True, highlight=False)
out = Console(highlight=False)  # stdout: transcripts and machine-readable output only

app = typer.Typer(
    name="sshr",
    cls=PipelineOrder,
    help="Train and run multilingual CTC speech recognisers on self-supervised encoders (SSHR).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def cli_errors(fn):
    """The one error boundary of every command: each failure is one red line on stderr and a non-zero exit.

    Typed errors (and DataLoader workers' typed errors, unwrapped), OSError by errno, JSON/YAML/text
    decoding errors: their one line (sshr_cli.errors.explain). Ctrl-C: exit 130. Anything else: a
    one-line summary and how to see the traceback (SSHR_DEBUG=1 re-raises it)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise  # typer.Exit and usage errors: click prints and exits as usual
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/]; finished files are kept, re-run to resume")
            raise typer.Exit(130) from None
        except Exception as exc:
            raise typer.Exit(_report(exc)) from None

    wrapper.error_boundary = True  # tests check that every command has it
    return wrapper


def examples(*commands: str) -> str:
    """A command's help epilog: real command lines, one paragraph each (Typer joins single line breaks)."""
    return "Examples:\n\n" + "\n\n".join(f"  {c}" for c in commands)


def _report(exc: Exception) -> int:
    """Print exc's one line; its exit code. Unexpected ones re-raise under SSHR_DEBUG=1."""
    line = explain(exc)
    if line is None:
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            raise exc
        line = f"unexpected {type(exc).__name__}: {one_line(str(exc))[:300]} ({DEBUG_HINT})"
    console.print(f"[bold red]error:[/] {escape(line)}", soft_wrap=True)
    return exc.exit_code if isinstance(exc, SshrError) else 1


def split_csv(value: Optional[str]) -> Optional[list[str]]:
    """'en, de,,fr' -> ['en', 'de', 'fr']; None stays None."""
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def not_built(command: str, issue: str) -> None:
    raise NotBuiltError(f"`sshr {command}` is not built yet in sshr {__version__} ({issue}); nothing was done")


def quiet_transformers(*, warnings: bool = False) -> None:
    """No weight-loading bars from transformers (our own progress is on screen); with
    warnings=False, no per-load reports either. Process-wide, so only commands call it."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if not warnings:
        hf_logging.set_verbosity_error()


def _version(value: bool) -> None:
    if value:
        out.print(f"sshr {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """sshr: prepare, finetune, decode, score and push CTC speech recognisers."""
    # torchao 0.18 under torch 2.14 logs two "Enum subclass ... register_constant()" warnings when
    # transformers imports it: noise to a user, and it would break the one-line error rule
    logging.getLogger("torch.utils._pytree").setLevel(logging.ERROR)


def main() -> None:
    app()
