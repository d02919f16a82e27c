"""The one place where manifest paths and fields are spelled, for readers and writers alike.

A manifest is NeMo-style JSONL, one utterance a line:
  id, audio_filepath (absolute), duration (s, measured), text (normalised), raw_text,
  lang, speaker, units (space-separated target units)
`sshr decode --manifest` adds `pred_text` (and `pred_units`, `pred_lang`).
"""

from __future__ import annotations

from pathlib import Path

from sshr_cli.constants import UNITS
from sshr_cli.errors import DataError
from sshr_cli.io import read_json, read_jsonl

REQUIRED_FIELDS = ("id", "audio_filepath", "duration", "text", "lang")
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


def load_manifest(path: str | Path) -> list[dict]:
    """Read a manifest and check the required fields; one-line DataError on bad input."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"manifest not found: {path} (run `sshr prepare` first, or pass the right --data)")
    try:
        rows = read_jsonl(path)
    except ValueError as exc:
        raise DataError(f"{path}: not JSONL ({exc}); expected one JSON object per line") from exc
    for n, row in enumerate(rows, 1):
        missing = [f for f in REQUIRED_FIELDS if f not in row]
        if missing:
            raise DataError(f"{path}:{n}: missing field(s) {', '.join(missing)}")
    return rows


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
