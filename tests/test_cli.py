import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from sshr_cli import __version__
from sshr_cli.cli import app

runner = CliRunner()
SUBCOMMANDS = ["prepare", "finetune", "decode", "score", "push"]


def test_help_lists_the_pipeline_in_order_then_the_tools():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    pipeline, tools = result.output.split("Pipeline", 1)[1].split("Tools", 1)
    # the names in each panel, not anywhere in the text ("prepared" and "push" occur in descriptions)
    names = lambda panel: re.findall(r"^│ ([a-z]+) +\S", panel, flags=re.MULTILINE)  # noqa: E731
    assert names(pipeline) == SUBCOMMANDS
    assert names(tools)[:5] == ["lm", "analyze", "demo", "status", "synth"]


@pytest.mark.parametrize("name", SUBCOMMANDS + ["lm", "synth", "demo", "analyze", "status"])
def test_subcommand_help(name):
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_console_script_runs():
    """The installed entry point and `python -m sshr_cli` both work."""
    proc = subprocess.run([sys.executable, "-m", "sshr_cli", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_unbuilt_command_says_so_and_exits_nonzero():
    """A command that is not built prints one plain line and exits 3; it never pretends."""
    import typer

    from sshr_cli.cli import cli_errors, not_built

    probe = typer.Typer()

    @probe.command()
    @cli_errors
    def later() -> None:
        not_built("later", "issue 99")

    result = runner.invoke(probe, [])
    assert result.exit_code == 3
    assert "not built yet" in result.output and "nothing was done" in result.output
    assert "Traceback" not in result.output


def test_synth_cli_writes_a_release(tmp_path):
    result = runner.invoke(app, ["synth", "commonvoice", str(tmp_path), "--langs", "it", "--clips", "3", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cv-corpus-0.1-synthetic" / "it" / "train.tsv").is_file()


def test_synth_cli_unknown_language_is_one_line(tmp_path):
    result = runner.invoke(app, ["synth", "commonvoice", str(tmp_path), "--langs", "xx", "--clips", "3"])
    assert result.exit_code != 0
    assert "available" in result.output and "Traceback" not in result.output


def test_importing_the_cli_loads_no_heavy_package():
    """`sshr --help` stays fast: torch, transformers and numpy load inside command bodies only."""
    code = ("import sys, sshr_cli.cli; "
            "print(sorted(m for m in ('torch', 'transformers', 'numpy', 'soundfile') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_nothing_in_the_library_imports_the_cli():
    """The CLI sits on top: only sshr_cli/cli/ itself and `python -m sshr_cli` import it."""
    import ast
    from pathlib import Path

    import sshr_cli

    root = Path(sshr_cli.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.parent == root / "cli" or path == root / "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):  # from sshr_cli.cli... and from sshr_cli import cli
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            offenders += [f"{path.relative_to(root)}: {n}" for n in names if n.split(".")[:2] == ["sshr_cli", "cli"]]
    assert not offenders, offenders
