"""The one place where manifest paths and fields are spelled, for readers and writers alike.

A manifest is NeMo-style JSONL, one utterance a line:
  id, audio_filepath (absolute), duration (s, measured), text (normalised), raw_text,
  lang, speaker, units (space-separated target units)
`sshr decode --manifest` adds `pred_text` (and `pred_units`, `pred_lang`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from sshr_cli.constants import UNITS
from sshr_cli.errors import DataError
from sshr_cli.io import read_json

REQUIRED_FIELDS = ("id", "audio_filepath", "duration", "text", "lang")
FIELD_TYPES = {"id": (str, int), "audio_filepath": str, "duration": (int, float), "text": str, "lang": str,
               "raw_text": str, "units": str, "speaker": (str, int, type(None))}  # checked when present; bools refused
FIELD_KIND = {"id": "a string", "audio_filepath": "a path (a string)", "duration": "a number (seconds)",
              "text": "a string", "lang": "a language code (a string)", "raw_text": "a string", "units": "a string",
              "speaker": "a string or null"}  # (or an integer id)
SPLITS = ("train", "dev", "test")


def manifest_path(data_dir: str | Path, lang: str, split: str) -> Path:
    return Path(data_dir) / lang / f"{split}.jsonl"


def vocab_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / "vocab.json"


def report_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / "prepare_report.json"


def prepared_langs(data_dir: str | Path) -> list[str]:
    """Languages with at least one manifest under `data_dir`, sorted (dot-folders are sshr's own state)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return []
    return sorted(p.name for p in data_dir.iterdir()
                  if p.is_dir() and not p.name.startswith(".") and any(p.glob("*.jsonl")))


def load_manifest(path: str | Path, skipped: list[str] | None = None) -> list[dict]:
    """A manifest's rows, each checked once here (check_row): a usable row has every required field,
    text fields that are text and a finite positive duration. A bad row is a one-line DataError naming
    the file, line and field; with a `skipped` list, it is left out and described there instead
    ("train.jsonl:3: duration 'n/a' is not a number"), for batch work that reports its skips."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"manifest not found: {path} (run `sshr prepare` first, or pass the right --data)")
    rows = []
    for n, line in enumerate(_lines(path), 1):
        if not line.strip():
            continue
        row, problem = _parse_row(line)
        if problem is None:
            rows.append(row)
        elif skipped is None:
            raise DataError(f"{path}:{n}: {problem}; fix the row or re-run `sshr prepare`")
        else:
            skipped.append(f"{path.name}:{n}: {problem}")
    return rows


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); expected a JSONL manifest "
                        f"written by `sshr prepare`") from exc


def _parse_row(line: str) -> tuple[dict | None, str | None]:
    try:
        row = json.loads(line)
    except ValueError as exc:
        return None, f"not JSON ({exc}); expected one JSON object per line"
    return row, check_row(row)


def check_row(row) -> str | None:
    """What is wrong with a manifest row (None: nothing): the types of FIELD_TYPES, a duration > 0."""
    if not isinstance(row, dict):
        return f"a JSON {type(row).__name__}, expected an object with {', '.join(REQUIRED_FIELDS)}"
    missing = [f for f in REQUIRED_FIELDS if f not in row]
    if missing:
        return f"missing field(s) {', '.join(missing)}"
    for name, types in FIELD_TYPES.items():
        value = row.get(name)
        if name in row and (not isinstance(value, types) or isinstance(value, bool)):
            return f"{name} {_show(value)} is not {FIELD_KIND[name]}"
    if not row["audio_filepath"].strip():
        return "audio_filepath is empty"
    if not (math.isfinite(row["duration"]) and row["duration"] > 0):
        return f"duration {_show(row['duration'])} is not a finite number of seconds > 0"
    return None


def _show(value) -> str:
    text = json.dumps(value, ensure_ascii=False)  # as the file spells it (NaN, Infinity, null)
    return text if len(text) <= 40 else text[:37] + "..."


def prepared_units(data_dir: str | Path) -> str:
    """The target units of a prepared folder, from its prepare_report.json; one-line DataError if unknown."""
    path = report_path(data_dir)
    if not path.is_file():
        raise DataError(f"no prepared data in {data_dir} ({path.name} missing): run `sshr prepare ...` first, "
                        f"or pass --data DIR")
    units = read_json(path, DataError, hint="re-run `sshr prepare`").get("units")
    if units not in UNITS:
        raise DataError(f"{path}: units is {units!r}; expected one of {', '.join(UNITS)}")
    return units


def check_langs(data_dir: str | Path, wanted, splits: tuple[str, ...]) -> list[str]:
    """`wanted` (or, if empty, every prepared language), checked to have a manifest for each split."""
    found = prepared_langs(data_dir)
    langs = list(wanted) if wanted else found
    if not langs:
        raise DataError(f"no prepared languages in {data_dir}: run `sshr prepare` first (or pass --data DIR)")
    for lang in langs:
        for split in splits:
            if not manifest_path(data_dir, lang, split).is_file():
                have = ", ".join(found) or "none"
                raise DataError(f"{manifest_path(data_dir, lang, split)} not found (prepared languages: {have})")
    return langs
