#!/usr/bin/env python
"""Paired bootstrap over test utterances (pooled over seeds): each row's error rate and a 95% interval
for its difference from a reference row.

    python recipes/synthetic/local/bootstrap.py --runs exp/synthetic/espeak/random --seeds 0,1,2,3,4 \
        --rows baseline,lid,sshr,sshr@forced-true,sshr@forced-wrong --unit phone --out table.md

A row is VARIANT (decoded freely: RUNS/VARIANT/seed<N>/decode/SPLIT.hyps.jsonl) or VARIANT@MODE
(RUNS/VARIANT/seed<N>/decode/SPLIT.MODE.hyps.jsonl, e.g. forced-true, forced-wrong). Plain rows are
compared with --baseline; VARIANT@MODE rows with VARIANT's free decoding. A pair is one test utterance
under one training seed, scored by both rows (edit distance on phones, or on characters with --unit
char); the statistic is the pooled error rate (sum of errors / sum of reference length) of the row
minus that of the reference. The interval is the 2.5th..97.5th percentile of that difference over
--draws resamples of the pairs (with replacement). "yes" in the table: the interval excludes 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

DRAWS = 2000  # bootstrap resamples
CONFIDENCE = 0.95


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def tokens(row: dict, unit: str, hyp: bool) -> list[str]:
    if unit == "phone":
        units = row.get("pred_units", "") if hyp else row["units"]
        return [u for u in units.split() if u != "|"]
    return list(row.get("pred_text", "") if hyp else row["text"])


def scored(path: Path, unit: str) -> dict[str, tuple[int, int]]:
    """utterance id -> (errors, reference length)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {r["id"]: (edit_distance(tokens(r, unit, False), tokens(r, unit, True)), len(tokens(r, unit, False)))
            for r in rows}


def hyps_file(runs: Path, row: str, seed: str, split: str) -> Path:
    variant, _, mode = row.partition("@")
    name = f"{split}.{mode}.hyps.jsonl" if mode else f"{split}.hyps.jsonl"
    return runs / variant / f"seed{seed}" / "decode" / name


def pairs(runs: Path, row: str, ref: str, seeds: list[str], split: str, unit: str) -> np.ndarray | None:
    """[N, 3] (row errors, reference-row errors, reference length) over every (seed, utterance) both scored."""
    out = []
    for seed in seeds:
        a, b = hyps_file(runs, row, seed, split), hyps_file(runs, ref, seed, split)
        if not (a.is_file() and b.is_file()):
            continue
        sa, sb = scored(a, unit), scored(b, unit)
        out += [(sa[u][0], sb[u][0], sa[u][1]) for u in sorted(set(sa) & set(sb))]
    return np.array(out, dtype=np.float64) if out else None


def bootstrap(p: np.ndarray, draws: int, seed: int = 0) -> tuple[float, float, float]:
    """(difference, low, high) of pooled error rates, in percentage points."""
    rng = np.random.default_rng(seed)
    diff = 100 * (p[:, 0].sum() - p[:, 1].sum()) / p[:, 2].sum()
    idx = rng.integers(0, len(p), size=(draws, len(p)))  # [draws, N] resampled pair indices
    sample = p[idx]  # [draws, N, 3]
    diffs = 100 * (sample[..., 0].sum(1) - sample[..., 1].sum(1)) / sample[..., 2].sum(1)
    low, high = np.percentile(diffs, [100 * (1 - CONFIDENCE) / 2, 100 * (1 + CONFIDENCE) / 2])
    return float(diff), float(low), float(high)


def significant(low: float, high: float) -> str:
    """"yes" when the 95% interval excludes 0."""
    return "yes" if low > 0 or high < 0 else "no"


def table_parser(description: str) -> argparse.ArgumentParser:
    """The options every per-row table script here takes (this one and spelling.py)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--runs", type=Path, required=True, help="the folder holding <variant>/seed<N>/")
    ap.add_argument("--seeds", required=True)
    ap.add_argument("--rows", required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--draws", type=int, default=DRAWS)
    ap.add_argument("--out", type=Path, help="write the markdown table here (default: stdout)")
    return ap


def write_table(lines: list[str], out: Path | None) -> None:
    text = "\n".join(lines) + "\n"
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def table(args) -> list[str]:
    seeds = args.seeds.split(",")
    metric = "PER" if args.unit == "phone" else "CER"
    lines = [f"| row | {metric} % (pooled) | vs | difference, points | 95% interval | significant | pairs |",
             "|---|---|---|---|---|---|---|"]
    for row in args.rows.split(","):
        ref = row.partition("@")[0] if "@" in row else args.baseline
        p = pairs(args.runs, row, ref, seeds, args.split, args.unit)
        if p is None:
            lines.append(f"| {row} | n/a | {ref} | n/a | n/a | n/a | 0 |")
            continue
        rate = 100 * p[:, 0].sum() / p[:, 2].sum()
        if row == ref:
            lines.append(f"| {row} | {rate:.1f} | - | - | - | - | {len(p)} |")
            continue
        diff, low, high = bootstrap(p, args.draws)
        lines.append(f"| {row} | {rate:.1f} | {ref} | {diff:+.1f} | [{low:+.1f}, {high:+.1f}] "
                     f"| {significant(low, high)} | {len(p)} |")
    return lines


def main() -> None:
    ap = table_parser(__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="baseline")
    ap.add_argument("--unit", choices=("phone", "char"), default="phone")
    args = ap.parse_args()
    write_table(table(args), args.out)


if __name__ == "__main__":
    main()
