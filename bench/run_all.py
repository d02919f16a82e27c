"""Run every benchmark script in bench/ and print one table of side-by-side ratios.

    python bench/run_all.py            # every bench/*.py there is, with its own defaults
    python bench/run_all.py --quick    # smaller inputs where a script is known to take them
    python bench/run_all.py --only prepare,decode_greedy --timeout 600

Each script runs in its own process (this interpreter, the repository on PYTHONPATH) and measures
sshr against what a user would otherwise use, in the same run. The table has one row per figure:
row, measure, sshr, anchor, ratio, goal, met?  (rows as in issue 9).

Convention for bench scripts: after their own human-readable output, print one line per figure

    RESULT {"row": "4", "measure": "greedy decode audio-s/s", "sshr": 512.3, "anchor": 140.1,
            "anchor_name": "transformers pipeline", "ratio": 3.66, "goal": ">=2"}

with keys row, measure, sshr, anchor, ratio, goal (optional: unit, anchor_name, note). `ratio` is
sshr/anchor for "more is better" figures and sshr/anchor for costs too; the goal says which way
(">=2": at least 2x; "<=1.10": at most 1.10x; "" or null: reported only). Scripts that print no
RESULT line are parsed from their text where this file knows the format (see PARSERS); the
table marks those figures "parsed", and says which scripts could not be read at all.
Full logs go to --log-dir.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

RESULT_PREFIX = "RESULT "
TOOLS = {"profile_finetune"}  # bench/ scripts that are tools (a profiler), not side-by-side figures
DEFAULT_TIMEOUT_S = 1800  # per script

# The rows of issue 9's table: what each script is expected to measure, and its goal.
EXPECTED = {
    "prepare": ("1", "prepare clips/s", "lhotse", ">=2"),
    "train_step": ("2", "SSHR/baseline step cost", "our baseline", "<=1.10"),
    "train_vs_hf": ("3", "finetune audio-s/s", "HF Trainer", ">=1.5"),
    "decode_greedy": ("4", "greedy decode throughput", "HF ASR pipeline", ">=2"),
    "decode_lm": ("5", "LM decode throughput at equal WER", "Wav2Vec2ProcessorWithLM", ">=3"),
    "decode_memory": ("6", "peak memory, 1 h vs 1 min of audio", "-", ""),
    "scale": ("scale", "index memory and start-up at 1M clips", "lhotse lazy CutSet", "<=1"),
    "decode_cpu": ("7", "CPU decode audio-s/s (int8/bf16/ONNX), MMS-300M shape", "HF ASR pipeline fp32", ">=2"),
    "prepare_scale": ("prepare-scale", "prepare clips/s and peak RSS at 100,000 clips", "sshr --jobs 1", ">1"),
}
# Smaller inputs for --quick, only for scripts whose options are known.
QUICK_ARGS = {
    "prepare": ["--clips", "20", "--repeat", "1"],
    "decode_lm": ["--utts", "50"],
    "decode_memory": ["--minutes", "10"],
    "train_step": ["--steps", "3"],
    "train_vs_hf": ["--clips", "12", "--epochs", "1"],
    "decode_greedy": ["--clips", "20", "--repeats", "1"],
    "scale": ["--sizes", "20000", "--batches", "100,1000"],
    "decode_cpu": ["--shapes", "mid", "--clips", "4", "--steps", "300"],
    "prepare_scale": ["--clips", "4000"],
}


@dataclass
class Figure:
    row: str
    measure: str
    sshr: Optional[float]
    anchor: Optional[float]
    ratio: Optional[float]
    goal: str
    anchor_name: str = ""
    unit: str = ""
    source: str = "RESULT"  # "RESULT" | "parsed" | "missing" | "failed" | "unparsed"
    note: str = ""


@dataclass
class ScriptRun:
    name: str
    rc: Optional[int]
    seconds: float
    figures: list[Figure] = field(default_factory=list)
    had_result_line: bool = False
    log: Optional[Path] = None


# ---------------------------------------------------------------- parsing
def parse_result_lines(text: str) -> list[Figure]:
    figures = []
    for line in text.splitlines():
        if not line.startswith(RESULT_PREFIX):
            continue
        try:
            d = json.loads(line[len(RESULT_PREFIX):])
        except json.JSONDecodeError:
            continue
        figures.append(Figure(str(d.get("row", "?")), str(d.get("measure", "?")), _num(d.get("sshr")),
                              _num(d.get("anchor")), _num(d.get("ratio")), str(d.get("goal") or ""),
                              str(d.get("anchor_name") or ""), str(d.get("unit") or ""), "RESULT",
                              str(d.get("note") or "")))
    return figures


def _num(value) -> Optional[float]:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_prepare(text: str) -> list[Figure]:
    """bench/prepare.py's table: `<tool> <seconds> <clips/s> <ratio>x`; sshr chars vs lhotse -j N."""
    rates = {m.group(1).strip(): float(m.group(3))
             for m in re.finditer(r"^(\S.*?)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+\d+\.\d+x\s*$", text, re.M)}
    lhotse_rows = [k for k in rates if k.startswith("lhotse")]
    lhotse = max(lhotse_rows, key=rates.get) if lhotse_rows else None  # its fastest setting: the fair anchor
    figures = []
    for ours in ("sshr prepare (chars)", "sshr prepare (phonemes)"):
        if ours in rates and lhotse:
            figures.append(Figure("1", f"prepare clips/s, {ours.split('(')[1][:-1]}", rates[ours], rates[lhotse],
                                  rates[ours] / rates[lhotse], ">=2", lhotse, "clips/s", "parsed"))
    return figures


def parse_decode_greedy(text: str) -> list[Figure]:
    """bench/decode_greedy.py: `... N x real time` lines for sshr and the two pipeline runs."""
    ours = re.search(r"^sshr transcribe.*?([\d.]+) x real time", text, re.M)
    figures = []
    for label, pattern in (("pipeline, one call a file", r"^transformers pipeline, one call a file:.*?([\d.]+) x real"),
                           ("pipeline, batched", r"^transformers pipeline, batch_size=(\d+):.*?([\d.]+) x\s+real")):
        m = re.search(pattern, text, re.M)
        if ours and m:
            anchor = float(m.groups()[-1])
            name = f"transformers {label}" + (f" (batch_size={m.group(1)})" if len(m.groups()) == 2 else "")
            figures.append(Figure("4", "greedy decode audio-s/s", float(ours.group(1)), anchor,
                                  float(ours.group(1)) / anchor, ">=2", name, "x real time", "parsed"))
    return figures


def parse_decode_lm(text: str) -> list[Figure]:
    """bench/decode_lm.py: sshr BeamPool vs Wav2Vec2ProcessorWithLM lines, and the WER line."""
    ours = re.search(r"^sshr BeamPool.*?([\d.]+) x real time", text, re.M)
    theirs = re.search(r"^Wav2Vec2ProcessorWithLM.*?([\d.]+) x real time", text, re.M)
    wer = re.search(r"sshr beam\+LM ([\d.]+) \| HF beam\+LM ([\d.]+)", text)
    if not (ours and theirs):
        return []
    note = f"WER sshr {wer.group(1)} vs HF {wer.group(2)}" if wer else "WER not found"
    a, b = float(ours.group(1)), float(theirs.group(1))
    return [Figure("5", "LM decode audio-s/s at equal WER", a, b, a / b, ">=3", "Wav2Vec2ProcessorWithLM",
                   "x real time", "parsed", note)]


def parse_train_step(text: str) -> list[Figure]:
    """bench/train_step.py: `<arch> step X ms  Y audio-s/s ... MFU M  peak P GiB` for ctc and sshr."""
    rows = {m.group(1): m for m in re.finditer(
        r"^(ctc|sshr)\s+step\s+([\d.]+) ms\s+([\d.]+) audio-s/s.*?MFU (.*?)\s+peak (\S+) GiB", text, re.M)}
    if not {"ctc", "sshr"} <= set(rows):
        return []
    ours, base = float(rows["sshr"].group(2)), float(rows["ctc"].group(2))
    note = "; ".join(f"{a}: {rows[a].group(3)} audio-s/s, MFU {rows[a].group(4)}, peak {rows[a].group(5)} GiB"
                     for a in ("ctc", "sshr"))
    shape = re.search(r"^shape (\S+), device ([^,]+)", text, re.M)
    where = f" ({shape.group(1)}, {shape.group(2)})" if shape else ""
    return [Figure("2", "SSHR/baseline step cost" + where, ours, base, ours / base, "<=1.10", "our baseline",
                   "ms/step", "parsed", note)]


def parse_train_vs_hf(text: str) -> list[Figure]:
    """bench/train_vs_hf.py: audio-s/s of sshr finetune (arch=ctc, arch=sshr) and the HF Trainer."""
    hf = re.search(r"^HF Trainer.*?([\d.]+) audio-s/s", text, re.M)
    figures = []
    for arch in ("ctc", "sshr"):
        m = re.search(rf"^sshr finetune \(arch={arch}\)\s+([\d.]+) audio-s/s", text, re.M)
        if m and hf:
            a, b = float(m.group(1)), float(hf.group(1))
            figures.append(Figure("3", f"finetune audio-s/s (arch={arch})", a, b, a / b,
                                  ">=1.5" if arch == "ctc" else "", "HF Trainer + Wav2Vec2ForCTC", "audio-s/s",
                                  "parsed"))
    return figures


def parse_decode_memory(text: str) -> list[Figure]:
    """bench/decode_memory.py: `<tool> 1 min: A MiB ... | N min: B MiB ... | ratio R x memory`."""
    figures = []
    for m in re.finditer(r"^(\S.*?)\s+1 min:\s+([\d.]+) MiB.*?\|\s+([\d.]+) min:\s+([\d.]+) MiB", text, re.M):
        short, long_ = float(m.group(2)), float(m.group(4))
        figures.append(Figure("6", f"peak RSS, {m.group(3)} min vs 1 min of audio ({m.group(1).strip()})", long_,
                              short, long_ / short, "", "the same tool on 1 min", "MiB", "parsed"))
    return figures


PARSERS: dict[str, Callable[[str], list[Figure]]] = {
    "prepare": parse_prepare,
    "train_step": parse_train_step,
    "train_vs_hf": parse_train_vs_hf,
    "decode_memory": parse_decode_memory,
    "decode_greedy": parse_decode_greedy,
    "decode_lm": parse_decode_lm,
}


# ---------------------------------------------------------------- running
def find_scripts(bench_dir: Path, only: Optional[list[str]]) -> list[Path]:
    scripts = sorted(p for p in bench_dir.glob("*.py")
                     if p.name != Path(__file__).name and not p.name.startswith("_") and p.stem not in TOOLS)
    if only:
        scripts = [p for p in scripts if p.stem in only]
    return scripts


def run_script(path: Path, extra: list[str], timeout: float, log_dir: Path) -> ScriptRun:
    repo = path.resolve().parents[1]  # the checkout the script belongs to
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
    cmd = [sys.executable, str(path), *extra]
    print(f"+ {' '.join(cmd)}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=timeout)
        rc, text = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as e:
        rc, text = None, _text(e.stdout) + _text(e.stderr) + f"\n(killed after {timeout:.0f} s)\n"
    run = ScriptRun(path.stem, rc, time.perf_counter() - t0, log=log_dir / f"{path.stem}.log")
    run.log.write_text(text, encoding="utf-8")
    run.figures = parse_result_lines(text)
    run.had_result_line = bool(run.figures)
    if not run.figures and path.stem in PARSERS:
        run.figures = PARSERS[path.stem](text)
    if not run.figures:
        run.figures = [_placeholder(path.stem, "failed" if rc != 0 else "unparsed",
                                    f"exit {rc}, see {run.log}" if rc != 0 else f"no figure found, see {run.log}")]
    return run


def _text(data) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def _placeholder(stem: str, source: str, note: str) -> Figure:
    row, measure, anchor_name, goal = EXPECTED.get(stem, ("?", stem, "", ""))
    return Figure(row, measure, None, None, None, goal, anchor_name, "", source, note)


# ---------------------------------------------------------------- the table
def goal_met(ratio: Optional[float], goal: str) -> str:
    m = re.match(r"\s*(>=|<=|≥|≤|>|<)\s*([\d.]+)", goal or "")
    if not m:
        return "-"
    if ratio is None:
        return "?"
    op, target = m.group(1), float(m.group(2))
    ok = ratio >= target if op in (">=", "≥", ">") else ratio <= target
    return "yes" if ok else "NO"


def _fmt(value: Optional[float]) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"


def print_table(figures: list[Figure]) -> None:
    head = ("row", "measure", "sshr", "anchor", "ratio", "goal", "met?", "source")
    rows = [(f.row, f.measure + (f" [{f.unit}]" if f.unit else ""), _fmt(f.sshr),
             _fmt(f.anchor) + (f" ({f.anchor_name})" if f.anchor_name not in ("", "-") else ""),
             _fmt(f.ratio) + ("x" if f.ratio is not None else ""), f.goal or "-", goal_met(f.ratio, f.goal),
             f.source + (f": {f.note}" if f.note else "")) for f in figures]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = "  ".join(f"{{:{w}}}" for w in widths)
    print(line.format(*head))
    print(line.format(*("-" * w for w in widths)))
    for r in rows:
        print(line.format(*r))


def row_key(f: Figure):
    return (int(f.row) if f.row.isdigit() else 99, f.row, f.measure)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="Run every bench/*.py and print one table of ratios.")
    ap.add_argument("--only", help="comma-separated script names (stems), e.g. prepare,decode_greedy")
    ap.add_argument("--quick", action="store_true", help="smaller inputs for scripts that take them")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds per script")
    ap.add_argument("--bench-dir", type=Path, default=Path(__file__).resolve().parent)
    ap.add_argument("--log-dir", type=Path, default=Path(tempfile.gettempdir()) / "sshr-bench-logs")
    args = ap.parse_args(argv)
    args.log_dir.mkdir(parents=True, exist_ok=True)
    only = [s.strip() for s in args.only.split(",")] if args.only else None
    runs = [run_script(p, QUICK_ARGS.get(p.stem, []) if args.quick else [], args.timeout, args.log_dir)
            for p in find_scripts(args.bench_dir, only)]
    ran = {r.name for r in runs}
    figures = [f for r in runs for f in r.figures]
    figures += [_placeholder(stem, "missing", f"bench/{stem}.py not found") for stem in EXPECTED
                if stem not in ran and (only is None or stem in only)]
    print()
    print_table(sorted(figures, key=row_key))
    print()
    for r in runs:
        state = "ok" if r.rc == 0 else ("timed out" if r.rc is None else f"exit {r.rc}")
        how = "RESULT lines" if r.had_result_line else "no RESULT line (figures parsed from its text)" \
            if any(f.source == "parsed" for f in r.figures) else "no RESULT line, nothing parsed"
        print(f"{r.name}: {state} in {r.seconds:.0f} s, {how}; log {r.log}")
    return 0 if all(r.rc == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
