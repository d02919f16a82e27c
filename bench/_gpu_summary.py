"""The summary of a bench/gpu_all.sh log: every RESULT line as one table (goal, met?), each part's state.

    python bench/_gpu_summary.py OUT/gpu_all.log

Issue 21's goals that no RESULT line answered are listed as missing, so a part that failed or ran
out of time shows up in the table, not only in the log. Exit status 0 when every part finished.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_all import Figure, parse_result_lines, print_table, row_key  # noqa: E402

# row -> (what issue 21 asks, its goal); a row with no RESULT line is shown as missing
GOALS = {"G1": ("whole finetune loop / bare step, same shapes", ">=0.90"),
         "G2": ("MFU, bf16, MMS-300M shape, 16 x 12 s (FlopCounterMode)", ">=0.35"),
         "3": ("sshr finetune vs HF Trainer + Wav2Vec2ForCTC audio-s/s", ">=1.5"),
         "4": ("sshr decode vs the batched transformers pipeline, bf16", ">=2"),
         "G5": ("peak memory at each point", "")}
PART_LINE = re.compile(r"^PART (\S+) (.*)$", re.M)


def main() -> int:
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_file():
        print("usage: python bench/_gpu_summary.py OUT/gpu_all.log", file=sys.stderr)
        return 2
    text = Path(sys.argv[1]).read_text(encoding="utf-8", errors="replace")
    figures = parse_result_lines(text)
    seen = {f.row for f in figures}
    figures += [Figure(row, what, None, None, None, goal, source="missing", note="no RESULT line: see the log")
                for row, (what, goal) in GOALS.items() if row not in seen]
    print("\n== summary (rows: G1 loop/bare, G2 MFU, 3 vs HF Trainer, 4 decode vs pipeline, G5 memory, L levers)")
    print_table(sorted(figures, key=row_key))
    states = PART_LINE.findall(text)
    print()
    for name, state in states:
        print(f"part {name}: {state}")
    return 0 if states and all("rc=0 " in s + " " for _, s in states) else 1


if __name__ == "__main__":
    sys.exit(main())
