"""The CLI's one error boundary (issue 18): every command has it, and it turns each expected failure
into one line that names the path and the fix; unexpected ones into a summary and SSHR_DEBUG."""

import errno
import json
import math
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from sshr_cli.cli import app, cli_errors
from sshr_cli.errors import DataError, explain, one_line

runner = CliRunner()


def _commands(typer_app):
    for cmd in typer_app.registered_commands:
        yield cmd.callback
    for group in typer_app.registered_groups:
        yield from _commands(group.typer_instance)


def test_every_command_has_the_error_boundary():
    callbacks = list(_commands(app))
    assert len(callbacks) >= 13  # 7 commands + prepare x3 + lm build + synth x2
    assert [c.__name__ for c in callbacks if not getattr(c, "error_boundary", False)] == []


def _probe(exc: BaseException):
    probe = typer.Typer()

    @probe.command()
    @cli_errors
    def fail() -> None:
        raise exc

    return probe


@pytest.mark.parametrize("exc, expected", [
    (NotADirectoryError(errno.ENOTDIR, "Not a directory", "/x/afile/out"), r"/x/afile/out: .*file, not a folder"),
    (PermissionError(errno.EPERM, "Operation not permitted", "/sys/out"), r"/sys/out: operation not permitted"),
    (OSError(errno.EROFS, "Read-only file system", "/ro/out"), r"/ro/out: read-only file system"),
    (OSError(errno.ENOSPC, "No space left on device", "/full/x"), r"/full/x: no space left"),
    (OSError(errno.EFBIG, "File too large"), r"file too large"),
    (json.JSONDecodeError("Expecting value", '{"a": \n', 6), r"invalid JSON \(Expecting value at line 1"),
    (DataError("a.wav: file not found\nsecond line"), r"a\.wav: file not found; second line"),
    (RuntimeError("Error while serializing: I/O error: File too large (os error 27)"), r"file too large"),
])
def test_expected_failures_are_one_line(exc, expected):
    result = runner.invoke(_probe(exc), [])
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert result.exit_code != 0 and len(lines) == 1, result.output
    assert __import__("re").search(expected, lines[0]), lines[0]
    assert "Traceback" not in result.output


def test_an_unexpected_error_is_a_summary_and_debug_shows_the_traceback(monkeypatch):
    monkeypatch.delenv("SSHR_DEBUG", raising=False)
    result = runner.invoke(_probe(ZeroDivisionError("division by zero")), [])
    assert result.exit_code == 1
    assert "unexpected ZeroDivisionError: division by zero" in result.output
    assert "SSHR_DEBUG=1" in result.output and len(result.output.strip().splitlines()) == 1
    monkeypatch.setenv("SSHR_DEBUG", "1")
    result = runner.invoke(_probe(ZeroDivisionError("division by zero")), [])
    assert isinstance(result.exception, ZeroDivisionError)  # re-raised: the traceback is shown


def test_ctrl_c_is_quiet():
    result = runner.invoke(_probe(KeyboardInterrupt()), [])
    assert result.exit_code == 130 and "Traceback" not in result.output


class _Broken(__import__("torch").utils.data.Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        raise DataError(f"/data/clip{i}.wav: file not found")


def test_a_dataloader_worker_error_is_its_own_one_line():
    import torch

    loader = torch.utils.data.DataLoader(_Broken(), num_workers=1, multiprocessing_context="fork")
    with pytest.raises(DataError) as caught:
        next(iter(loader))
    assert "Original Traceback" in str(caught.value)  # what torch does to it
    assert explain(caught.value) == "/data/clip0.wav: file not found"
    assert one_line("plain\n\nmessage") == "plain; message"


def test_a_write_on_a_full_disk_names_the_output(tmp_path):
    """RLIMIT_FSIZE: writes past the limit fail with EFBIG (no file name), as on a full disk."""
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (10, 10));"
            "from sshr_cli.errors import explain; from sshr_cli.io import write_text\n"
            "try:\n write_text(sys.argv[1], 'x' * 1000)\n"
            "except OSError as e:\n print(explain(e))")
    out = tmp_path / "out" / "big.txt"
    proc = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True)
    assert proc.stdout.strip() == f"{out}: file too large for this disk or its quota (no space); " \
                                  "free some space or write to another disk", proc.stderr
    assert list((tmp_path / "out").iterdir()) == []  # no temp file left


def test_json_writes_are_strict(tmp_path):
    from sshr_cli.io import write_json, write_jsonl
    from sshr_cli.train.logs import MetricsLog

    for write in (write_json, write_jsonl):
        with pytest.raises(ValueError, match="non-finite"):
            write(tmp_path / "x.json", [{"a": math.nan}])
    assert not (tmp_path / "x.json").exists()
    log = MetricsLog(tmp_path, tensorboard=False)
    log.write({"step": 1, "split": "train", "loss": math.inf, "parts": {"ctc": math.nan}})
    log.close()
    assert json.loads((tmp_path / "metrics.jsonl").read_text()) == {"step": 1, "split": "train", "loss": None,
                                                                    "parts": {"ctc": None}}
