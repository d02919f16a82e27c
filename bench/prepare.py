"""Benchmark: `sshr prepare commonvoice` against `lhotse prepare commonvoice`, side by side.

Generates a Common Voice release (espeak-ng, default 8 languages x 50 clips), then runs each
tool as users would (a fresh process, fresh output folder, same corpus and same --jobs) and
prints clips/s and the ratio to lhotse. It also times a second `sshr` run with the same
arguments (the no-op re-run) against the first. Best of --repeat runs.

    python bench/prepare.py [--clips 50] [--jobs 2] [--repeat 2] [--work /tmp/sshr-bench-prepare]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from _result import result  # noqa: E402  (bench/ is on sys.path when run as a script)

LANGS = "en,de,fr,es,it,nl,pl,sv"
SPLITS = ("train", "dev", "test")


def count_clips(corpus: Path, langs: list[str]) -> int:
    n = 0
    for lang in langs:
        for split in SPLITS:
            with open(corpus / lang / f"{split}.tsv", encoding="utf-8", newline="") as f:
                n += sum(1 for _ in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return n


def run(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return seconds


def best_fresh(cmd_for, out_root: Path, name: str, repeat: int) -> float:
    """Best time over `repeat` runs, each into a new, empty output folder."""
    times = []
    for i in range(repeat):
        out = out_root / f"{name}-{i}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)  # lhotse -j 1 does not create it (FileNotFoundError)
        times.append(run(cmd_for(out)))
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--langs", default=LANGS)
    parser.add_argument("--clips", type=int, default=50, help="clips per language (train+dev+test)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "sshr-bench-prepare")
    args = parser.parse_args()
    langs = args.langs.split(",")

    from sshr_cli.data.synthetic import generate_commonvoice

    corpus = args.work / f"cv-corpus-bench-{args.clips}"
    if not corpus.is_dir():
        t = time.perf_counter()
        generate_commonvoice(args.work, langs, args.clips, seed=0, version=f"bench-{args.clips}", jobs=args.jobs)
        print(f"generated {corpus} in {time.perf_counter() - t:.1f} s")
    n = count_clips(corpus, langs)
    outs = args.work / "out"
    sshr = [sys.executable, "-m", "sshr_cli", "prepare", "commonvoice", str(corpus), "--langs", args.langs,
            "--jobs", str(args.jobs)]
    lhotse = [str(Path(sys.executable).with_name("lhotse")), "prepare", "commonvoice", str(corpus)]
    lhotse_opts = [flag for lang in langs for flag in ("-l", lang)] + ["-j", str(args.jobs)]

    timings = {
        f"lhotse prepare commonvoice -j {args.jobs}":
            best_fresh(lambda o: [*lhotse, str(o), *lhotse_opts], outs, "lhotse", args.repeat),
        "lhotse prepare commonvoice -j 1": best_fresh(lambda o: [*lhotse, str(o), *lhotse_opts[:-2], "-j", "1"],
                                                      outs, "lhotse1", args.repeat),
        "sshr prepare (chars)": best_fresh(lambda o: [*sshr, "--units", "chars", "--out", str(o)],
                                           outs, "chars", args.repeat),
        "sshr prepare (phonemes)": best_fresh(lambda o: [*sshr, "--units", "phonemes", "--out", str(o)],
                                              outs, "ph", args.repeat),
    }
    rerun = min(run([*sshr, "--units", "phonemes", "--out", str(outs / "ph-0")]) for _ in range(args.repeat))
    startup = min(run([sys.executable, "-m", "sshr_cli", "--version"]) for _ in range(args.repeat))
    report(timings, n, langs, args, f"lhotse prepare commonvoice -j {args.jobs}")
    lhotse_best = min((t, name) for name, t in timings.items() if name.startswith("lhotse"))
    for units in ("chars", "phonemes"):
        result("1", f"prepare clips/s ({units})", n / timings[f"sshr prepare ({units})"], n / lhotse_best[0],
               lhotse_best[1], ">=2", "clips/s", f"{n} clips, whole processes, best of {args.repeat}")
    first = timings["sshr prepare (phonemes)"]
    print(f"\nno-op re-run (phonemes, same args), whole process: {rerun:.2f} s = {100 * rerun / first:.1f}% "
          f"of the first run; `sshr --version` alone takes {startup:.2f} s")
    lib_first, lib_again = in_process(corpus, langs, outs / "lib", args.jobs)
    print(f"no-op re-run inside Python (prepare() only): {lib_again:.3f} s = {100 * lib_again / lib_first:.1f}% "
          f"of the first prepare() ({lib_first:.2f} s)")


def report(timings: dict[str, float], n: int, langs: list[str], args, base_name: str) -> None:
    base = timings[base_name]
    print(f"\n{n} clips ({len(langs)} languages x {args.clips}), best of {args.repeat}, "
          f"fresh process and output folder each run")
    print(f"{'tool':34s} {'seconds':>8s} {'clips/s':>9s} {'speed-up':>9s}  (vs {base_name})")
    for name, seconds in timings.items():
        print(f"{name:34s} {seconds:8.2f} {n / seconds:9.1f} {base / seconds:8.2f}x")


def in_process(corpus: Path, langs: list[str], out: Path, jobs: int) -> tuple[float, float]:
    """First prepare() into an empty folder, then the same call again (no interpreter start-up)."""
    from sshr_cli.data.commonvoice import commonvoice_source
    from sshr_cli.data.prepare import PrepareOptions, prepare

    shutil.rmtree(out, ignore_errors=True)
    times = []
    for _ in range(2):
        start = time.perf_counter()
        prepare(commonvoice_source(corpus, langs), PrepareOptions(out, "phonemes", jobs))
        times.append(time.perf_counter() - start)
    return times[0], times[1]


if __name__ == "__main__":
    main()
