"""Atomic writes and a checked JSON reader: every output goes to a temp file (or folder) in the same
folder, then is renamed. Standard library only; sshr_cli.io re-exports the writers."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import CheckpointError, SshrError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def _naming(path: Path) -> Iterator[None]:
    """An OSError without a file name (a write() on a full disk: EFBIG/ENOSPC) gets `path`, so that its
    one-line message says which output failed; temp names (.x.tmp) are shown as the output they stand for."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None or ".tmp" in str(exc.filename):  # in the temp file or folder: name the output
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp path beside `path`; rename it onto `path` only if the block succeeds."""
    path = Path(path)
    with _naming(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
    try:
        with _naming(path):
            yield Path(tmp)
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temp folder beside `path`; on success it replaces `path` (old one removed)."""
    path = Path(path)
    with _naming(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        with _naming(path):
            yield tmp
        old = path.with_name(f".{path.name}.old")
        if old.exists():
            shutil.rmtree(old)
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def dumps(obj, indent: int | None = None) -> str:
    """Strict JSON text (the one spelling for files and stdout): NaN or Infinity anywhere is a
    ValueError naming the problem, never a bare NaN that other readers reject."""
    try:
        return json.dumps(obj, ensure_ascii=False, indent=indent, allow_nan=False)
    except ValueError as exc:
        raise ValueError(f"refusing to write JSON with a non-finite number (NaN/Infinity): {exc}") from exc


def write_json(path: str | os.PathLike, obj, indent: int | None = 2) -> None:
    write_text(path, dumps(obj, indent=indent) + "\n")


def read_json(path: str | os.PathLike, error: type[SshrError] = CheckpointError, hint: str = ""):
    """A JSON file's content; a missing, unreadable or corrupt file is one `error` naming the file
    (`hint` is appended: what the folder should be, or how to rewrite the file)."""
    path = Path(path)
    suffix = f"; {hint}" if hint else ""
    if not path.is_file():
        raise error(f"{path.parent} has no {path.name}{suffix}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise error(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno}){suffix}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: unreadable ({exc}){suffix}") from exc
