"""The machine-readable line every bench script prints per figure (read by bench/run_all.py)."""

from __future__ import annotations

import json


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def result(row: str, measure: str, sshr: float | None, anchor: float | None, anchor_name: str, goal: str,
           unit: str | None = None, note: str | None = None, ratio: float | None = None) -> None:
    """Print `RESULT {...}`; ratio defaults to sshr / anchor (None when either is unknown, e.g. MFU on a CPU)."""
    if ratio is None and sshr is not None and anchor:
        ratio = sshr / anchor
    line = {"row": row, "measure": measure, "sshr": _round(sshr), "anchor": _round(anchor),
            "anchor_name": anchor_name, "ratio": _round(ratio), "goal": goal}
    line.update({k: v for k, v in (("unit", unit), ("note", note)) if v})
    print("RESULT " + json.dumps(line, ensure_ascii=False), flush=True)
