"""The `sshr` command line: thin Typer commands over library functions.

Each command parses flags, builds an options object by keyword, makes one library call and
prints the result; typed errors become one line on stderr plus a non-zero exit code
(`cli_errors`). Heavy imports happen inside command bodies, so `sshr --help` stays fast.

One module per command or group; this file puts them on the one app, in the order
`sshr --help` lists them. Nothing in the library imports this package.
"""

from __future__ import annotations

from sshr_cli.cli import analyze, decode, demo, export, finetune, lm, prepare, push, score, status, synth
from sshr_cli.cli._app import app, cli_errors, console, main, not_built, out, split_csv

for _command in (finetune.finetune, decode.decode, score.score, push.push, analyze.analyze, demo.demo,
                 status.status):
    app.command()(_command)
app.add_typer(prepare.prepare_app, name="prepare")
app.add_typer(lm.lm_app, name="lm")
app.add_typer(synth.synth_app, name="synth")
app.add_typer(export.export_app, name="export")

__all__ = ["app", "cli_errors", "console", "main", "not_built", "out", "split_csv"]
