"""The machine-readable line every bench script prints per figure (read by bench/run_all.py)."""

from __future__ import annotations

import json


def result(row: str, measure: str, sshr: float, anchor: float, anchor_name: str, goal: str,
           unit: str | None = None, note: str | None = None, ratio: float | None = None) -> None:
    """Print `RESULT {...}`; ratio defaults to sshr / anchor."""
    line = {"row": row, "measure": measure, "sshr": round(sshr, 4), "anchor": round(anchor, 4),
            "anchor_name": anchor_name, "ratio": round(ratio if ratio is not None else sshr / anchor, 4),
            "goal": goal}
    line.update({k: v for k, v in (("unit", unit), ("note", note)) if v})
    print("RESULT " + json.dumps(line, ensure_ascii=False), flush=True)
