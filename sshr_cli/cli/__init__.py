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

PIPELINE, TOOLS = "Pipeline", "Tools"  # `sshr --help` panels: the five steps in order, then the rest

app.add_typer(prepare.prepare_app, name="prepare", rich_help_panel=PIPELINE)
for _command, _examples in ((finetune.finetune, finetune.EXAMPLES), (decode.decode, decode.EXAMPLES),
                            (score.score, score.EXAMPLES), (push.push, push.EXAMPLES)):
    app.command(epilog=_examples, rich_help_panel=PIPELINE)(_command)
app.add_typer(lm.lm_app, name="lm", rich_help_panel=TOOLS)
for _command, _examples in ((analyze.analyze, analyze.EXAMPLES), (demo.demo, demo.EXAMPLES),
                            (status.status, status.EXAMPLES)):
    app.command(epilog=_examples, rich_help_panel=TOOLS)(_command)
app.add_typer(synth.synth_app, name="synth", rich_help_panel=TOOLS)
app.add_typer(export.export_app, name="export", rich_help_panel=TOOLS)

__all__ = ["app", "cli_errors", "console", "main", "not_built", "out", "split_csv"]
