"""Atomic file writes: every output goes to a temp file in the same folder, then is renamed.

The atomic writers live in sshr_cli.model.fileio (the model package writes checkpoints with them
and imports nothing else from sshr_cli); they are re-exported here.
"""

from __future__ import annotations

import json
import os
from typing import Iterable

from sshr_cli.model.fileio import atomic_dir, atomic_path, dumps, read_json, write_json, write_text  # noqa: F401  re-export


def write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(dumps(row) + "\n")


def read_text_lines(path: str | os.PathLike) -> list[str]:
    """A UTF-8 text file's lines; a one-line DataError (not a traceback) when it is not UTF-8."""
    from sshr_cli.errors import DataError

    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read().splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); "
                        f"convert it, e.g. iconv -f latin1 -t utf-8") from exc


def iter_text_lines(path: str | os.PathLike):
    """A UTF-8 text file's lines, streamed (without their line ends); read_text_lines' one-line DataError."""
    from sshr_cli.errors import DataError

    try:
        with open(path, encoding="utf-8", newline="") as f:
            for line in f:
                yield from line.splitlines()  # the same lines as read_text_lines (\x0c, \u2028 split too)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); "
                        f"convert it, e.g. iconv -f latin1 -t utf-8") from exc


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def check_folder_writable(path: str | os.PathLike) -> None:
    """An OSError now (ENOTDIR, EACCES, EROFS) if folder `path` could not be created or written, before
    long work whose results would go there; creates nothing."""
    import errno
    from pathlib import Path

    path = Path(path).absolute()
    existing = next(p for p in (path, *path.parents) if p.exists() or p == p.parent)
    if not existing.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(existing))
    if not os.access(existing, os.W_OK | os.X_OK):
        read_only = os.statvfs(existing).f_flag & os.ST_RDONLY
        code = errno.EROFS if read_only else errno.EACCES
        raise OSError(code, os.strerror(code), str(existing))
