"""`sshr prepare` at scale: clips/s at --jobs 1 and 2, and peak memory at two corpus sizes.

    python bench/prepare_scale.py [--clips 20000] [--work /tmp/sshr-bench-prepare-scale]

A small Common Voice release is generated (espeak-ng, one language, --seed-clips clips), then
inflated: its train clips are hard-linked under new names (N in all) with train.tsv rows to
match, so every clip is a real mp3 whose header is really read, and sentences repeat across
clips as in Common Voice. `sshr prepare commonvoice` runs as users run it (a fresh process and
output folder each time): on N clips at --jobs 1 and --jobs 2, and on N/4 clips at --jobs 2 for
the memory comparison. Peak RSS is the child's ru_maxrss. The machine may be shared: the load
average is printed with each figure.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _result import result  # noqa: E402  (bench/ is on sys.path when run as a script)

SEED_CLIPS = 40
LANG = "en"


def seed_corpus(work: Path, clips: int) -> Path:
    """A generated release with one language; its language folder."""
    from sshr_cli.data.synthetic import generate_commonvoice

    root = work / f"cv-corpus-scale-seed-{clips}"
    if not root.is_dir():
        generate_commonvoice(work, [LANG], clips, seed=0, version=f"scale-seed-{clips}", jobs=2)
    return root / LANG


def read_tsv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return rows[0], [r for r in rows[1:] if r]


def inflate(seed: Path, dst: Path, n: int) -> Path:
    """dst/<lang>/: train.tsv with n rows whose clips are hard links to seed's train clips under
    new names; dev.tsv and test.tsv as in seed (their clips linked too)."""
    lang_dir = dst / LANG
    if (lang_dir / "train.tsv").is_file():
        return lang_dir
    (lang_dir / "clips").mkdir(parents=True)
    header, rows = read_tsv(seed / "train.tsv")
    col = header.index("path")
    lines = ["\t".join(header)]
    for i in range(n):
        row = list(rows[i % len(rows)])
        name = f"scale_{i:07d}.mp3"
        os.link(seed / "clips" / row[col], lang_dir / "clips" / name)
        row[col] = name
        lines.append("\t".join(row))
    (lang_dir / "train.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for split in ("dev", "test"):
        shutil.copy(seed / f"{split}.tsv", lang_dir / f"{split}.tsv")
        for row in read_tsv(seed / f"{split}.tsv")[1]:
            os.link(seed / "clips" / row[col], lang_dir / "clips" / row[col])
    return lang_dir


def run_prepare(corpus: Path, out: Path, jobs: int) -> tuple[float, float, float]:
    """(wall s, peak RSS MiB, 1-min load average before) of one `sshr prepare` process."""
    shutil.rmtree(out, ignore_errors=True)
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(p.returncode, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "print(p.stderr[-3000:], file=sys.stderr)")
    cmd = [sys.executable, "-c", code, sys.executable, "-m", "sshr_cli", "prepare", "commonvoice", str(corpus),
           "--units", "chars", "--jobs", str(jobs), "--out", str(out)]
    load = os.getloadavg()[0]
    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(repo)})
    rc, wall, rss_kib = proc.stdout.split()
    if rc != "0":
        raise SystemExit(f"sshr prepare failed:\n{proc.stderr}")
    return float(wall), int(rss_kib) / 1024, load


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clips", type=int, default=100_000, help="train clips of the big corpus (the small: a quarter)")
    p.add_argument("--seed-clips", type=int, default=SEED_CLIPS)
    p.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "sshr-bench-prepare-scale")
    args = p.parse_args()
    seed = seed_corpus(args.work, args.seed_clips)
    big, small = args.clips, args.clips // 4
    t = time.perf_counter()
    corpora = {n: inflate(seed, args.work / f"inflated-{n}", n) for n in (small, big)}
    print(f"corpora of {small} and {big} train clips (hard links) ready in {time.perf_counter() - t:.1f} s")
    runs = {}
    for n, jobs in ((big, 1), (big, 2), (small, 2)):
        wall, rss, load = run_prepare(corpora[n], args.work / "out", jobs)
        runs[n, jobs] = (wall, rss, load)
        print(f"N={n} --jobs {jobs}: {wall:.1f} s, {n / wall:.0f} clips/s, peak RSS {rss:.0f} MiB "
              f"(1-min load average {load:.1f} on {os.cpu_count()} CPUs)")
    (w1, r1, l1), (w2, r2, l2), (ws, rs, ls) = runs[big, 1], runs[big, 2], runs[small, 2]
    load = f"1-min load average {l1:.1f} / {l2:.1f} / {ls:.1f} on {os.cpu_count()} CPUs"
    result("prepare-scale", f"prepare clips/s --jobs 2, N={big:,}", big / w2, big / w1, "sshr --jobs 1", ">1",
           unit="clips/s", note=load)
    result("prepare-scale", f"prepare clips/s --jobs 1, N={big:,}", big / w1, big / w1, "-", "", unit="clips/s",
           note=load, ratio=1.0)
    result("prepare-scale", f"prepare peak RSS MiB, N={big:,} vs N={small:,}", r2, rs, f"N={small:,}",
           "~1 (flat in corpus size)", unit="MiB", note=load)


if __name__ == "__main__":
    main()
