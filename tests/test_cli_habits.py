"""Habits users bring from whisper and friends: --no-progress everywhere a bar is drawn, -o for
--out-dir, examples at the end of every --help, and readable language names."""

from __future__ import annotations

import shlex

import numpy as np
import pytest
import soundfile as sf
import typer
from typer.testing import CliRunner

from sshr_cli.cli import app
from sshr_cli.text.languages import language_name

runner = CliRunner()
ROOT = typer.main.get_command(app)
# commands that draw progress bars (their own, or huggingface_hub's while downloading/uploading)
LONG_COMMANDS = [("prepare", "commonvoice"), ("prepare", "mlsuperb"), ("prepare", "folder"), ("finetune",),
                 ("decode",), ("analyze",), ("demo",), ("synth", "commonvoice"), ("push",)]


def leaf_commands(group=ROOT, path: tuple[str, ...] = ()):
    for name in group.list_commands(None):
        command = group.get_command(None, name)
        if hasattr(command, "list_commands"):  # a group (typer may carry its own click)
            yield from leaf_commands(command, (*path, name))
        else:
            yield (*path, name), command


def command_at(path: tuple[str, ...]):
    command = ROOT
    for name in path:
        command = command.get_command(None, name)
    return command


@pytest.mark.parametrize("path, command", list(leaf_commands()), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_help_ends_with_examples_that_parse(path, command):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().rsplit("Examples:", 1)[1].strip(), f"sshr {' '.join(path)} --help has no examples"
    lines = [line.strip() for line in command.epilog.split("\n\n")[1:]]
    assert 2 <= len(lines) <= 3
    for line in lines:
        words = [w for w in shlex.split(line) if "=" not in w or w.startswith("-")]  # drop VAR=value prefixes
        assert words[:1 + len(path)] == ["sshr", *path], line
        command.make_context(" ".join(path), words[1 + len(path):])  # unknown options or bad values raise


@pytest.mark.parametrize("path", LONG_COMMANDS, ids=" ".join)
def test_long_commands_take_no_progress(path):
    flags = {opt for p in command_at(path).params for opt in (*p.opts, *p.secondary_opts)}
    assert {"--progress", "--no-progress"} <= flags


@pytest.mark.parametrize("path", [("decode",), ("score",)], ids=" ".join)
def test_out_dir_has_the_short_alias_o(path):
    option = next(p for p in command_at(path).params if "--out-dir" in p.opts)
    assert "-o" in option.opts


def test_score_writes_its_reports_where_o_says(tmp_path):
    (tmp_path / "ref").write_text("u1 ein hund\nu2 a dog\n", encoding="utf-8")
    (tmp_path / "hyp").write_text("u1 ein hut\nu2 a dog\n", encoding="utf-8")
    result = runner.invoke(app, ["score", "--ref", str(tmp_path / "ref"), "--hyp", str(tmp_path / "hyp"),
                                 "-o", str(tmp_path / "reports")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "reports" / "summary.json").is_file()


@pytest.fixture
def audio_folder(tmp_path):
    folder = tmp_path / "clips"
    folder.mkdir()
    t = np.arange(16_000) / 16_000
    for i, text in enumerate(["a cat", "a dog", "the sun"]):
        sf.write(folder / f"c{i}.wav", 0.1 * np.sin(2 * np.pi * (200 + 50 * i) * t), 16_000)
        (folder / f"c{i}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def bars(monkeypatch):
    """Counts the rich progress displays a command opens."""
    import rich.progress

    opened = []
    real = rich.progress.Progress

    class Counting(real):
        def __init__(self, *args, **kwargs):
            opened.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(rich.progress, "Progress", Counting)
    return opened


@pytest.mark.parametrize("how", ["flag", "env"])
def test_no_progress_draws_no_bar_and_the_default_does(audio_folder, tmp_path, bars, how):
    args = ["prepare", "folder", str(audio_folder), "--lang", "en", "--jobs", "1"]
    shown = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    assert shown.exit_code == 0, shown.output
    assert len(bars) > 0  # the default draws the stage bars
    bars.clear()
    quiet = (runner.invoke(app, [*args, "--out", str(tmp_path / "b"), "--no-progress"]) if how == "flag" else
             runner.invoke(app, [*args, "--out", str(tmp_path / "b")], env={"SSHR_PROGRESS": "0"}))
    assert quiet.exit_code == 0, quiet.output
    assert bars == [] and (tmp_path / "b" / "prepare_report.json").is_file()


@pytest.mark.parametrize("code, name", [("de", "German"), ("deu", "German"), ("en", "English"),
                                        ("pt-BR", "Portuguese (pt-BR)"), ("xx", "xx"), ("cmn", "Mandarin Chinese")])
def test_language_names_fall_back_to_the_code(code, name, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "langcodes", None)  # the table, as on a machine without langcodes
    assert language_name(code) == name


def test_demo_without_progress_turns_bars_off_in_the_commands_it_runs(monkeypatch):
    from sshr_cli.demo import _child_env

    monkeypatch.delenv("SSHR_PROGRESS", raising=False)
    assert _child_env(progress=False)["SSHR_PROGRESS"] == "0" and "SSHR_PROGRESS" not in _child_env()
