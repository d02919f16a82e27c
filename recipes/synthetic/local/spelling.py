#!/usr/bin/env python
"""Does a model write its language's spelling? The spellings task's direct test, per row, pooled over seeds.

    python recipes/synthetic/local/spelling.py --runs exp/synthetic/spellings/random --seeds 0,1,2,3,4 \
        --rows baseline,sshr,sshr@forced-true,sshr@forced-wrong --out spelling.md

xa and xb say the same words; only the spelling differs (sshr_cli.data.spellings.respell, its own
inverse). For each test utterance under each seed, the hypothesis is scored against its own
language's spelling (the reference) and against the other one (respell(reference)). The margin is
(character errors against the other spelling - errors against its own) / reference length, in
points: about 0 for a model that cannot tell the languages apart, positive when it writes the right
spelling, negative when it writes the other language's (as a model that follows a wrong forced
language frame would). The 95% interval is a bootstrap over the (seed, utterance) pairs; "yes":
it excludes 0. Rows are named as in bootstrap.py (VARIANT or VARIANT@MODE).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bootstrap import bootstrap, edit_distance, hyps_file, significant, table_parser, write_table  # sibling script
from sshr_cli.data.spellings import respell


def margins(path: Path) -> list[tuple[int, int, int]]:
    """(errors against the other spelling, errors against its own, reference length) per utterance
    whose two spellings differ."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        own, hyp = row["text"], row.get("pred_text", "")
        other = respell(own)
        if other != own:
            out.append((edit_distance(list(other), list(hyp)), edit_distance(list(own), list(hyp)), len(own)))
    return out


def table(runs: Path, rows: list[str], seeds: list[str], split: str, draws: int) -> list[str]:
    lines = ["| row | closer to its own spelling | closer to the other | margin, points | 95% interval "
             "| significant | pairs |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        found = [hyps_file(runs, row, s, split) for s in seeds]
        p = np.array([m for f in found if f.is_file() for m in margins(f)], dtype=np.float64)  # [N, 3]
        if len(p) == 0:
            lines.append(f"| {row} | n/a | n/a | n/a | n/a | n/a | 0 |")
            continue
        margin, low, high = bootstrap(p, draws)
        own, other = 100 * np.mean(p[:, 0] > p[:, 1]), 100 * np.mean(p[:, 0] < p[:, 1])
        lines.append(f"| {row} | {own:.0f}% | {other:.0f}% | {margin:+.1f} | [{low:+.1f}, {high:+.1f}] "
                     f"| {significant(low, high)} | {len(p)} |")
    return lines


def main() -> None:
    args = table_parser(__doc__.splitlines()[0]).parse_args()
    write_table(table(args.runs, args.rows.split(","), args.seeds.split(","), args.split, args.draws), args.out)


if __name__ == "__main__":
    main()
