"""Write the synthetic ablation table (RESULTS.md) from the run folders recipes/synthetic/run.sh made.

    python recipes/synthetic/local/results.py --work exp/synthetic --encoders random \
        --variants baseline,lid,deletion,crossctc,sshr --langs en,de,fr,es --out recipes/synthetic/RESULTS.md

Reads, per WORK/<encoder>/<variant>/: score_{dev,test}/summary.json (sshr score), best/model.safetensors
(parameter count, from the header alone), train_seconds (wall clock, written by run.sh) and
config.yaml (the resolved recipe). A missing file is shown as "n/a" and named under the table.
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
    return row


def per(summary: dict | None, lang: str | None) -> str:
    if summary is None:
        return "n/a"
    totals = summary["totals"] if lang is None else summary.get("by_lang", {}).get(lang)
    if totals is None:
        return "n/a"
    return f"{100 * totals['error_rate']:.1f}"


def table(runs: dict, variants: list[str], langs: list[str], split: str, with_cost: bool) -> list[str]:
    head = ["variant"] + (["params", "train time (s)"] if with_cost else []) + langs + ["all"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for v in variants:
        r = runs[v]
        summary = r["scores"].get(split)
        cells = [LABELS.get(v, v)]
        if with_cost:
            cells += [f"{r['params']:,}" if r["params"] is not None else "n/a",
                      f"{r['train_s']:.0f}" if r["train_s"] is not None else "n/a"]
        cells += [per(summary, lang) for lang in langs] + [f"**{per(summary, None)}**"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def setup_lines(args, work: Path) -> list[str]:
    report_file = work / "data" / "prepare_report.json"
    lines = [f"- Corpus: `sshr synth commonvoice` (espeak-ng voices), languages {args.langs}, "
             f"{args.clips} clips per language, seed {args.seed}."]
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


def recipe_line(work: Path, encoder: str, variants: list[str]) -> str:
    import yaml

    for v in variants:
        path = work / encoder / v / "config.yaml"
        if path.is_file():
            cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
            t, o = cfg.get("train", {}), cfg.get("optim", {})
            return (f"- Training: {t.get('max_steps')} updates, seed {t.get('seed')}, lr encoder "
                    f"{o.get('lr_encoder')} / heads {o.get('lr_heads')}, batches of at most "
                    f"{cfg.get('data', {}).get('max_batch_seconds')} s; every row has the same recipe except "
                    f"`model:` (recipes/synthetic/ablation/*.yaml).")
    return "- Training: n/a (no config.yaml found)"


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
    out = ["# Synthetic ablation: SSHR's parts on a tiny encoder (CPU)", "",
           "Written by `recipes/synthetic/run.sh` (stage 7); re-run it to refresh this file. "
           "PER in % (phone error rate, `sshr score --unit phone`, greedy decoding); lower is better. "
           f"Emitting nothing scores {100 * TRIVIAL_PER:.0f} %.", "",
           "**Read this first.** The encoder is tiny (4 layers, hidden 32) and the speech is espeak-ng, "
           "a handful of synthetic voices. These numbers check that every part trains and that the "
           "comparison is run fairly (same data, encoder weights, steps and seed); they say little about "
           "MMS-300M on real Common Voice, where the paper's gains come from the encoder's "
           "pretrained layer hierarchy.", "", "## Setup", ""]
    out += setup_lines(args, work)
    for encoder in args.encoders.split(","):
        runs = {v: read_run(work / encoder / v, missing) for v in variants}
        what = "random initialisation (no pretraining)" if encoder == "random" else encoder
        out += [recipe_line(work, encoder, variants), "", f"## Encoder: {what}", "", "Test PER (%):", ""]
        out += table(runs, variants, langs, "test", True)
        out += ["", "Dev PER (%):", ""]
        out += table(runs, variants, langs, "dev", False)
        out.append("")
    if "pretrained" not in args.encoders.split(","):
        out += ["## Self-supervised pretraining", "",
                "Not done: only the randomly initialised encoder was fine-tuned. Pretraining the tiny "
                "encoder with transformers' Wav2Vec2ForPreTraining on the generated audio first, then "
                "repeating the ablation from it, is not part of the recipe yet.", ""]
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
    p.add_argument("--seed", default="0")
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
