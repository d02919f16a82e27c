"""`sshr status`: what this folder holds, and what the next command would use."""

from __future__ import annotations

from sshr_cli.cli._app import cli_errors, examples, out

EXAMPLES = examples("sshr status", "SSHR_EXP_DIR=runs sshr status")


@cli_errors
def status() -> None:
    """Show the workspace: corpora, prepared data, runs with their best dev error, and what push would do."""
    from sshr_cli.status import render, workspace_status
    from sshr_cli.workspace import load_workspace

    render(workspace_status(load_workspace()), out)
