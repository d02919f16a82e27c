"""Clip durations from audio headers, measured in threads, with a cache that survives Ctrl-C.

    durations = measure(paths, DurationCache(work / MEASURE_CACHE), jobs)
    durations[str(path)]  # {"path", "size", "mtime_ns", "duration"} | {..., "error"} | {..., "missing"}

A cached entry is reused while the file's size and mtime are unchanged (file_stat).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from sshr_cli.errors import DataError
from sshr_cli.io import dumps

MEASURE_CACHE = "durations.jsonl"  # inside the prepare work folder
MEASURE_CHUNK = 64  # clips per thread task

Progress = Callable[[str, int, int], None]  # (stage, done, total)


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


class DurationCache:
    """path -> measured entry; an append-only JSONL file, so Ctrl-C loses at most a line."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, dict] = {}
        if path.is_file():
            with open(path, encoding="utf-8") as f:
                for line in f:
                    try:
                        entry = json.loads(line)
                        self.entries[entry["path"]] = entry
                    except (ValueError, KeyError, TypeError):  # a line cut short by an interrupt
                        continue

    def get(self, path: Path) -> dict | None:
        entry = self.entries.get(str(path))
        stat = file_stat(path)
        if entry is None or stat is None or (entry["size"], entry["mtime_ns"]) != stat:
            return None
        return entry

    def add(self, entries: Iterable[dict]) -> None:
        keep = [e for e in entries if not e.get("missing")]
        if not keep:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            for e in keep:
                self.entries[e["path"]] = e
                f.write(dumps(e) + "\n")


def _measure_chunk(paths: Sequence[Path]) -> list[dict]:
    return [_measure_one(p) for p in paths]


def measure(paths: Sequence[Path], cache: DurationCache, jobs: int,
            progress: Optional[Progress] = None) -> dict[str, dict]:
    """Duration (or the reason there is none) for every path; cached entries are reused."""
    unique = list(dict.fromkeys(paths))
    found = {str(p): e for p in unique if (e := cache.get(p)) is not None}
    todo = [p for p in unique if str(p) not in found]
    total, done = len(unique), len(found)
    if progress:
        progress("measuring", done, total)
    chunks = [todo[i:i + MEASURE_CHUNK] for i in range(0, len(todo), MEASURE_CHUNK)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for entries in pool.map(_measure_chunk, chunks):
            cache.add(entries)
            found.update((e["path"], e) for e in entries)
            done += len(entries)
            if progress:
                progress("measuring", done, total)
    return found
