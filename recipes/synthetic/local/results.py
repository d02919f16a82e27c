"""Write the synthetic ablation table (RESULTS.md) from the run folders recipes/synthetic/run.sh made.

    python recipes/synthetic/local/results.py --work exp/synthetic --encoders random,pretrained \
        --seeds 0,1 --variants baseline,lid,deletion,crossctc,sshr --langs en,de,fr,es \
        --out recipes/synthetic/RESULTS.md

Reads, per run folder WORK/<encoder>/<variant>/seed<N>/: score_{dev,test}/summary.json (sshr score),
best/model.safetensors (parameter count, from the header alone), train_seconds (wall clock,
written by run.sh) and config.yaml (the resolved recipe). Each cell is the mean over the seeds;
the "all" column also gives the range. A missing file is shown as "n/a" and named under the table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import struct
import subprocess
from pathlib import Path

SPLITS = ("dev", "test")
LABELS = {  # what each ablation row adds to the plain-CTC baseline
    "baseline": "baseline (plain CTC)",
    "lid": "+ LID frame",
    "deletion": "+ layer deletion",
    "crossctc": "+ Cross-CTC",
    "sshr": "full SSHR",
}
TRIVIAL_PER = 1.0  # an empty hypothesis deletes every reference phone: PER 100 %
PLATEAU_PER = 0.95  # dev error rate below this: CTC has left its blank-only plateau
METRICS = {"PER": "PER in % (phone error rate, `sshr score --unit phone`, greedy decoding)",
           "CER": "CER in % (character error rate, `sshr score --unit char`, greedy decoding)"}


def count_params(safetensors_file: Path) -> int:
    """Sum of tensor sizes, read from the safetensors header (8-byte length + JSON), no torch."""
    with open(safetensors_file, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    total = 0
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        size = 1
        for dim in meta["shape"]:
            size *= dim
        total += size
    return total


def read_run(run: Path, missing: list[str]) -> dict:
    row: dict = {"scores": {}}
    for split in SPLITS:
        path = run / f"score_{split}" / "summary.json"
        if path.is_file():
            row["scores"][split] = json.loads(path.read_text(encoding="utf-8"))
        else:
            missing.append(str(path))
    weights = run / "best" / "model.safetensors"
    row["params"] = count_params(weights) if weights.is_file() else None
    if row["params"] is None:
        missing.append(str(weights))
    seconds = run / "train_seconds"
    row["train_s"] = float(seconds.read_text().strip()) if seconds.is_file() else None
    if row["train_s"] is None:
        missing.append(str(seconds))
    row["plateau_end"], row["lid"] = read_curve(run / "metrics.jsonl")
    return row


def read_curve(metrics: Path) -> tuple[str, float | None]:
    """From metrics.jsonl: the first evaluated update whose dev error is below PLATEAU_PER ("never"; "n/a"
    without the file), and the last dev LID accuracy."""
    if not metrics.is_file():
        return "n/a", None
    dev = [json.loads(line) for line in metrics.read_text(encoding="utf-8").splitlines() if '"dev"' in line]
    first = next((str(r["step"]) for r in dev if r.get("error_rate", 1.0) < PLATEAU_PER), "never")
    return first, (dev[-1].get("lid_accuracy") if dev else None)


def rate(summary: dict | None, lang: str | None) -> float | None:
    if summary is None:
        return None
    totals = summary["totals"] if lang is None else summary.get("by_lang", {}).get(lang)
    return None if totals is None else 100 * totals["error_rate"]


def cell(rows: list[dict], split: str, lang: str | None, with_range: bool = False) -> str:
    """Mean PER (%) over the seeds that have a score; 'mean (min-max)' when asked and there are several."""
    values = [v for v in (rate(r["scores"].get(split), lang) for r in rows) if v is not None]
    if not values:
        return "n/a"
    mean = sum(values) / len(values)
    if with_range and len(values) > 1:
        return f"{mean:.1f} ({min(values):.1f}-{max(values):.1f})"
    return f"{mean:.1f}"


def table(runs: dict, variants: list[str], langs: list[str], split: str, with_cost: bool) -> list[str]:
    head = ["variant"] + (["params", "train time (s)", "plateau left by update", "dev LID acc."] if with_cost else []) \
        + langs + ["all (range over seeds)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for v in variants:
        rows = runs[v]
        cells = [LABELS.get(v, v)]
        if with_cost:
            params = next((r["params"] for r in rows if r["params"] is not None), None)
            times = [r["train_s"] for r in rows if r["train_s"] is not None]
            ends = [r["plateau_end"] for r in rows]
            lids = [r["lid"] for r in rows if r["lid"] is not None]
            cells += [f"{params:,}" if params is not None else "n/a",
                      f"{sum(times) / len(times):.0f}" if times else "n/a",
                      " / ".join(ends) if rows else "n/a",
                      f"{100 * sum(lids) / len(lids):.0f}%" if lids else "-"]
        cells += [cell(rows, split, lang) for lang in langs] + [f"**{cell(rows, split, None, True)}**"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def setup_lines(args, work: Path) -> list[str]:
    report_file = work / "data" / "prepare_report.json"
    lines = [f"- Corpus: `sshr synth {args.corpus}` (espeak-ng voices), languages {args.langs}, "
             f"{args.clips} clips per language, corpus and encoder seed {args.seed}."]
    if report_file.is_file():
        report = json.loads(report_file.read_text(encoding="utf-8"))
        parts = []
        for lang, splits in report.get("langs", {}).items():
            kept = "/".join(str(splits.get(s, {}).get("kept", "?")) for s in ("train", "dev", "test"))
            hours = 60 * sum(splits.get(s, {}).get("hours", 0.0) for s in ("train",))
            parts.append(f"{lang} {kept} ({hours:.1f} min train)")
        lines.append(f"- Utterances train/dev/test: {'; '.join(parts)}; {report.get('units')} targets, "
                     f"vocabulary {report.get('vocab_size')}.")
    return lines


def recipe_line(work: Path, encoder: str, variants: list[str], seed: str) -> str:
    import yaml

    for v in variants:
        path = work / encoder / v / f"seed{seed}" / "config.yaml"
        if path.is_file():
            cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
            t, o = cfg.get("train", {}), cfg.get("optim", {})
            return (f"- Training: {t.get('max_steps')} updates, lr encoder "
                    f"{o.get('lr_encoder')} / heads {o.get('lr_heads')}, batches of at most "
                    f"{cfg.get('data', {}).get('max_batch_seconds')} s; every row has the same recipe except "
                    f"`model:` (recipes/synthetic/ablation/*.yaml).")
    return "- Training: n/a (no config.yaml found)"


def pretrain_lines(log: Path) -> list[str]:
    """One line on the self-supervised pretraining, from local/pretrain.py's log (none without one)."""
    if not log.is_file():
        return []
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    first, last = rows[:50], rows[-50:]
    def mean(part, key):
        return sum(r[key] for r in part) / len(part)
    return [f"- Pretraining: {len(rows)} updates; contrastive loss {mean(first, 'contrastive'):.2f} over the first 50 "
            f"-> {mean(last, 'contrastive'):.2f} over the last 50 (chance with 20 negatives: ln 21 = 3.04)."]


def machine_line() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    import torch

    return (f"- Run {datetime.date.today().isoformat()}, commit {commit}, torch {torch.__version__}, "
            f"{platform.machine()} CPU, {os.cpu_count()} cores visible (shared with other jobs, so "
            f"train times are rough).")


def render(args) -> str:
    work = Path(args.work)
    variants, langs = args.variants.split(","), args.langs.split(",")
    missing: list[str] = []
    seeds = args.seeds.split(",")
    out = ["# Synthetic ablation: SSHR's parts on a tiny encoder (CPU)", "",
           "Written by `recipes/synthetic/run.sh` (stage 7); re-run it to refresh this file. "
           f"{METRICS[args.metric]}; lower is better. "
           f"Emitting nothing scores {100 * TRIVIAL_PER:.0f} %. Each cell is the mean over {len(seeds)} "
           f"training seed(s) ({', '.join(seeds)}); the last column gives the range.", "",
           "**Read this first.** The encoder is tiny (a random 4-layer, 64-wide transformer on a fixed "
           "mel filterbank front end) and the speech is espeak-ng, a handful of synthetic voices. These "
           "numbers check that every part trains and that the comparison is run fairly (same data, "
           "encoder weights, steps and seeds); they say little about MMS-300M on real Common Voice, "
           "where the paper's gains come from the encoder's pretrained layer hierarchy. From a random "
           "transformer, CTC first sits on a plateau (blanks only, PER 100 %) for a number of updates "
           "that varies from run to run, so differences smaller than the seed range mean nothing. "
           f"'Plateau left by update' is the first evaluation with dev PER below {100 * PLATEAU_PER:.0f} %, "
           "per seed.",
           "", "## Setup", ""]
    out += setup_lines(args, work)
    for encoder in args.encoders.split(","):
        runs = {v: [read_run(work / encoder / v / f"seed{s}", missing) for s in seeds] for v in variants}
        what = {"random": "random transformer (no pretraining)",
                "pretrained": "self-supervised pretrained (wav2vec 2.0 objective on the train audio, "
                              "recipes/synthetic/local/pretrain.py)"}.get(encoder, encoder)
        out += [f"## Encoder: {what}", "", recipe_line(work, encoder, variants, seeds[0])]
        out += pretrain_lines(work / "encoders" / encoder / "pretrain_log.jsonl")
        out += ["", f"Test {args.metric} (%):", ""]
        out += table(runs, variants, langs, "test", True)
        out += ["", f"Dev {args.metric} (%):", ""]
        out += table(runs, variants, langs, "dev", False)
        out.append("")
    if "pretrained" not in args.encoders.split(","):
        out += ["## Self-supervised pretraining", "",
                "Not run this time (`--encoders random`): run.sh pretrains the tiny encoder with "
                "`local/pretrain.py` when `--encoders` names `pretrained`.", ""]
    out += ["## Machine", "", machine_line(), ""]
    if missing:
        out += ["## Missing inputs", "", *[f"- {m}" for m in missing], ""]
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", default="exp/synthetic")
    p.add_argument("--encoders", default="random")
    p.add_argument("--variants", default=",".join(LABELS))
    p.add_argument("--langs", default="en,de,fr,es")
    p.add_argument("--clips", default="?")
    p.add_argument("--seed", default="0", help="the corpus and encoder seed")
    p.add_argument("--seeds", default="0", help="training seeds: run folders seed<N>")
    p.add_argument("--metric", choices=sorted(METRICS), default="PER", help="what the scores are (the tables' label)")
    p.add_argument("--corpus", default="commonvoice", help="the `sshr synth` command that made the corpus")
    p.add_argument("--out", default="recipes/synthetic/RESULTS.md")
    args = p.parse_args()
    text = render(args)
    out = Path(args.out)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
