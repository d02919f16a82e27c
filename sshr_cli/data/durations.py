"""Clip durations from audio headers, measured in threads, kept in an on-disk cache that survives Ctrl-C.

    cache = DurationCache(work / MEASURE_CACHE)
    errors = measure(paths, cache, jobs)  # paths: any iterable, streamed; -> the unreadable clips' errors
    cache.entry(str(path))  # {"duration": s} | {"error": why} | None (missing)

The cache is an SQLite file looked up clip by clip, so memory does not grow with the corpus
(the JSONL cache before it was loaded whole into a dict, an entry per clip). A cached entry is reused while
the file's size and mtime are unchanged (file_stat); measure() leaves every clip it was given
either fresh in the cache or absent (missing), so entry() needs no second stat.
"""

from __future__ import annotations

import errno
import sqlite3
from collections import deque
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Sequence

from sshr_cli.errors import DataError

MEASURE_CACHE = "durations.sqlite"  # inside the prepare work folder
MEASURE_CHUNK = 64  # clips per thread task
IN_FLIGHT = 4  # chunks queued per thread: the paths held at once are jobs * IN_FLIGHT * MEASURE_CHUNK

Progress = Callable[[str, int, int], None]  # (stage, done, total)

_SCHEMA = "CREATE TABLE IF NOT EXISTS clips (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, " \
          "duration REAL, error TEXT)"


def file_stat(path: Path) -> tuple[int, int] | None:
    """(size in bytes, mtime in ns), or None when the file cannot be read."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _measure_one(path: Path) -> dict:
    from sshr_cli.audio import audio_info

    stat = file_stat(path)
    if stat is None:
        return {"path": str(path), "missing": True}
    entry = {"path": str(path), "size": stat[0], "mtime_ns": stat[1]}
    try:
        entry["duration"] = audio_info(path).duration_s
    except DataError as exc:
        entry["error"] = str(exc)
    return entry


# SQLite result codes (the low byte of an extended code) -> the errno a user is told about
_SQLITE_ERRNO = {13: errno.ENOSPC, 8: errno.EROFS, 14: errno.EACCES, 3: errno.EACCES}  # FULL, READONLY, CANTOPEN, PERM


@contextmanager
def _as_os_errors(path: Path):
    """An SQLite failure to write or open the cache as an OSError naming it (sshr's one-line error);
    an I/O error there is nearly always a full disk or a file size limit."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        code = _SQLITE_ERRNO.get(getattr(exc, "sqlite_errorcode", 0) & 0xFF, errno.ENOSPC)
        raise OSError(code, str(exc), str(path)) from exc


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")  # a commit per chunk without an fsync each; Ctrl-C safe
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(_SCHEMA)
    return db


class DurationCache:
    """path -> measured entry, in an SQLite file; a file that is not one (torn, foreign) is rebuilt."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with _as_os_errors(path):
            try:
                self.db = _connect(path)
            except sqlite3.OperationalError:
                raise
            except sqlite3.DatabaseError:  # not a database: a cache, rebuilt
                for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                    stale.unlink(missing_ok=True)
                self.db = _connect(path)

    def _row(self, key: str) -> tuple | None:
        return self.db.execute("SELECT size, mtime_ns, duration, error FROM clips WHERE path = ?", (key,)).fetchone()

    def get(self, path: Path) -> dict | None:
        """The cached entry while the file is unchanged, else None."""
        row, stat = self._row(str(path)), file_stat(path)
        if row is None or stat is None or (row[0], row[1]) != stat:
            return None
        return {"duration": row[2]} if row[3] is None else {"error": row[3]}

    def entry(self, key: str) -> dict | None:
        """After measure(): {"duration"} or {"error"}, or None for a missing clip."""
        row = self._row(key)
        return None if row is None else {"duration": row[2]} if row[3] is None else {"error": row[3]}

    def add(self, entries: Iterable[dict]) -> None:
        """Store measured entries; a missing clip's stale entry is forgotten."""
        entries = list(entries)
        with _as_os_errors(self.path):
            self._store(entries)

    def _store(self, entries: list[dict]) -> None:
        self.db.executemany("DELETE FROM clips WHERE path = ?", [(e["path"],) for e in entries if e.get("missing")])
        self.db.executemany("INSERT OR REPLACE INTO clips VALUES (?, ?, ?, ?, ?)",
                            [(e["path"], e["size"], e["mtime_ns"], e.get("duration"), e.get("error"))
                             for e in entries if not e.get("missing")])
        self.db.commit()

    def close(self) -> None:
        self.db.close()


def _measure_chunk(paths: Sequence[Path]) -> list[dict]:
    return [_measure_one(p) for p in paths]


class _Measuring:
    """measure()'s running state: done count, progress, the unreadable clips' errors."""

    def __init__(self, cache: DurationCache, progress: Optional[Progress], total: int):
        self.cache, self.progress, self.total, self.done, self.errors = cache, progress, total, 0, set()

    def todo(self, paths: Iterable[Path]) -> Iterator[list[Path]]:
        """Chunks of the paths not in the cache (cached ones are counted done as they go by)."""
        chunk: list[Path] = []
        for path in paths:
            entry = self.cache.get(path)
            if entry is None:
                chunk.append(path)
                if len(chunk) == MEASURE_CHUNK:
                    yield chunk
                    chunk = []
                continue
            self.done += 1
            if "error" in entry:
                self.errors.add(entry["error"])
        if chunk:
            yield chunk

    def finish(self, entries: list[dict]) -> None:
        self.cache.add(entries)
        self.errors.update(e["error"] for e in entries if "error" in e)
        self.done += len(entries)
        if self.progress:
            self.progress("measuring", self.done, self.total)


def measure(paths: Iterable[Path], cache: DurationCache, jobs: int, progress: Optional[Progress] = None,
            total: int = 0) -> set[str]:
    """Measure every path the cache lacks (streamed: at most jobs * IN_FLIGHT chunks in flight) and
    store it; returns the errors of the unreadable clips. `total`: the path count, for progress."""
    state = _Measuring(cache, progress, total)
    pending: deque = deque()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for chunk in state.todo(paths):
            pending.append(pool.submit(_measure_chunk, chunk))
            if len(pending) >= jobs * IN_FLIGHT:
                state.finish(pending.popleft().result())
        while pending:
            state.finish(pending.popleft().result())
    if progress:
        progress("measuring", state.done, total)
    return state.errors
