"""Corpora of a million clips: sshr's memory-mapped index + sampler vs lhotse's lazy CutSet +
DynamicBucketingSampler, side by side on the same manifests.

    python bench/scale.py                       # N = 100,000 and 1,000,000
    python bench/scale.py --sizes 100000 --batches 1000,10000

For each N it writes a prepared folder (2 languages, N rows in all) whose rows point at 8 real
clips, and the same rows as a lhotse cuts JSONL. Then, each in a fresh process:
- the start-up time to the first batch (process start, imports included; sshr's first use builds
  the index, the second reuses it);
- PSS and USS (from /proc/<pid>/smaps_rollup) of the main process and of each of 2 DataLoader
  workers after each count in --batches, and their anonymous memory (heap: what a copy costs);
- sshr's plan time per epoch;
- `sshr finetune --dry-run`: wall time and peak RSS, first use and cached.
Batches are index-only (labels, lengths and paths are read, audio is not decoded): the point is the
per-worker copy of the index, not audio decoding. The machine may be shared: timings are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

CLIP_SECONDS = (1.5, 2.5, 3.5, 4.5, 5.5, 7.0, 9.0, 12.0)
SENTENCE = "the quick brown fox jumps over the lazy dog near the river bank"
DIGITS = "zero one two three four five six seven eight nine".split()
MAX_BATCH_SECONDS = 80.0
WORKERS = 2


# ---------------------------------------------------------------- data
def write_corpus(root: Path, n: int) -> tuple[Path, Path]:
    """DATA/ (manifests, vocab.json, prepare_report.json) and cuts.jsonl, both with n rows."""
    import numpy as np
    import soundfile as sf

    from sshr_cli.data.manifest import manifest_path, report_path, vocab_path
    from sshr_cli.io import write_json
    from sshr_cli.text import Vocab
    from sshr_cli.text.units import text_to_chars

    data, clips = root / "data", root / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, seconds in enumerate(CLIP_SECONDS):
        path = clips / f"clip{k}.wav"
        sf.write(path, 0.1 * np.sin(np.arange(int(seconds * 16000)) / 7.0).astype(np.float32), 16000)
        paths.append(str(path))
    units = " ".join(text_to_chars(SENTENCE))
    with open(root / "cuts.jsonl", "w", encoding="utf-8") as cuts:  # every row its own text, as in Common Voice
        for lang_id, lang in enumerate(("en", "de")):
            path = manifest_path(data, lang, "train")
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                for i in range(lang_id, n, 2):
                    k, text = (i * 7919) % len(CLIP_SECONDS), sentence(i)
                    f.write(json.dumps({"id": f"{lang}{i}", "audio_filepath": paths[k], "duration": CLIP_SECONDS[k],
                                        "text": text, "raw_text": text, "lang": lang, "speaker": "s",
                                        "units": " ".join(text_to_chars(text))}) + "\n")
                    cuts.write(json.dumps(_cut(f"{lang}{i}", paths[k], CLIP_SECONDS[k], lang, text)) + "\n")
            dev = [{"id": f"{lang}dev{i}", "audio_filepath": paths[i], "duration": CLIP_SECONDS[i], "text": SENTENCE,
                    "lang": lang, "units": units} for i in range(len(paths))]
            manifest_path(data, lang, "dev").write_text("".join(json.dumps(r) + "\n" for r in dev))
    Vocab.build([units.split(), text_to_chars(" ".join(DIGITS))]).save(vocab_path(data))
    write_json(report_path(data), {"units": "chars", "source": "bench", "args": {}, "langs": {}, "vocab_size": 0})
    return data, root / "cuts.jsonl"


def sentence(i: int) -> str:
    """SENTENCE and i spelled out: a different text (and labels) for every row."""
    return f"{SENTENCE} {' '.join(DIGITS[int(d)] for d in str(i))}"


def _cut(cut_id: str, path: str, seconds: float, lang: str, text: str) -> dict:
    """A lhotse MonoCut as its to_dict() writes it (checked against lhotse 1.33)."""
    rec = {"id": cut_id, "sources": [{"type": "file", "channels": [0], "source": path}], "sampling_rate": 16000,
           "num_samples": int(seconds * 16000), "duration": seconds, "channel_ids": [0]}
    sup = {"id": cut_id, "recording_id": cut_id, "start": 0, "duration": seconds, "channel": 0, "text": text,
           "language": lang}
    return {"id": cut_id, "start": 0, "duration": seconds, "channel": 0, "supervisions": [sup], "recording": rec,
            "type": "MonoCut"}


# ---------------------------------------------------------------- measuring (in the child)
def memory(pid: int) -> dict:
    """PSS, USS and anonymous memory of a process, MiB, from /proc/<pid>/smaps_rollup."""
    f = {}
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                f[parts[0].rstrip(":")] = int(parts[1]) / 1024
    return {"pss": f["Pss"], "uss": f["Private_Clean"] + f["Private_Dirty"], "anon": f["Anonymous"],
            "rss": f["Rss"]}


def snapshot(loader_iter) -> dict:
    workers = [w.pid for w in loader_iter._workers]
    return {"main": memory(os.getpid()), "workers": [memory(pid) for pid in workers]}


def iterate(loader, sampler, counts: list[int], set_epoch) -> tuple[float, dict]:
    """(wall-clock time of the first batch, {count: snapshot}) over epochs until max(counts) batches."""
    first, seen, snaps, epoch = None, 0, {}, 0
    it = None
    while seen < max(counts):
        set_epoch(epoch)
        it = iter(loader)
        for _ in it:
            seen += 1
            first = first if first is not None else time.time()
            if seen in counts:
                snaps[seen] = snapshot(it)
            if seen >= max(counts):
                break
        epoch += 1
    return first, snaps


def child_sshr(data: Path, counts: list[int]) -> dict:
    import numpy as np
    import torch

    from sshr_cli.data.dataset import DurationBatchSampler, SpeechDataset
    from sshr_cli.data.index import open_index
    from sshr_cli.text import Vocab

    class IndexOnly(SpeechDataset):
        def __getitem__(self, i):
            return (len(self.index.labels(i)), len(self.index.audio_path(i)), int(self.index.lang_ids[i]))

    before = memory(os.getpid())
    t = time.perf_counter()
    index = open_index(data, ["en", "de"], "train", Vocab.load(data / "vocab.json"))
    open_s = time.perf_counter() - t
    sampler = DurationBatchSampler(index.durations, MAX_BATCH_SECONDS, seed=0)
    t = time.perf_counter()
    sampler.epoch_plan(0)
    plan_s = time.perf_counter() - t
    index_mib = memory(os.getpid())["uss"] - before["uss"]
    loader = torch.utils.data.DataLoader(IndexOnly(index), batch_sampler=sampler, num_workers=WORKERS,
                                         collate_fn=lambda items: np.asarray(items))
    first, snaps = iterate(loader, sampler, counts, sampler.set_epoch)
    return {"open_s": open_s, "plan_s": plan_s, "index_main_mib": index_mib, "first_at": first, "snaps": snaps,
            "batches_per_epoch": len(sampler)}


def child_lhotse(cuts_path: Path, counts: list[int]) -> dict:
    import numpy as np
    import torch
    from lhotse import CutSet
    from lhotse.dataset import DynamicBucketingSampler

    class IndexOnly(torch.utils.data.Dataset):
        def __getitem__(self, cuts):
            return np.asarray([(len(c.supervisions[0].text), len(c.recording.sources[0].source)) for c in cuts])

    before = memory(os.getpid())
    cuts = CutSet.from_jsonl_lazy(cuts_path)
    sampler = DynamicBucketingSampler(cuts, max_duration=MAX_BATCH_SECONDS, shuffle=True, seed=0, num_buckets=30)
    index_mib = memory(os.getpid())["uss"] - before["uss"]
    loader = torch.utils.data.DataLoader(IndexOnly(), sampler=sampler, batch_size=None, num_workers=WORKERS)
    first, snaps = iterate(loader, sampler, counts, sampler.set_epoch)
    return {"index_main_mib": index_mib, "first_at": first, "snaps": snaps}


def child(args) -> None:
    started = float(os.environ["BENCH_STARTED"])
    counts = [int(c) for c in args.batches.split(",")]
    out = child_sshr(Path(args.data), counts) if args.child == "sshr" else child_lhotse(Path(args.cuts), counts)
    out["first_batch_s"] = out.pop("first_at") - started  # process start (imports included) to the first batch
    print("CHILD " + json.dumps(out), flush=True)


# ---------------------------------------------------------------- the parent
def run_child(kind: str, data: Path, cuts: Path, batches: str) -> dict:
    env = {**os.environ, "BENCH_STARTED": str(time.time()), "OMP_NUM_THREADS": "1"}
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--child", kind, "--data", str(data), "--cuts", str(cuts),
                           "--batches", batches], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{kind} child failed:\n{proc.stderr[-3000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("CHILD "))
    return {**json.loads(line[6:]), "wall_s": wall}


def dry_run(data: Path, root: Path) -> tuple[float, float, float]:
    """(wall s, peak RSS GiB, CPU s) of `sshr finetune --dry-run` on the tiny recipe (no weights either way)."""
    repo = Path(__file__).resolve().parent.parent
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(p.returncode, time.perf_counter() - t, u.ru_maxrss, u.ru_utime + u.ru_stime); "
            "print(p.stdout[-2000:], p.stderr[-2000:], file=sys.stderr)")
    cmd = [sys.executable, "-c", code, sys.executable, "-m", "sshr_cli", "finetune", "--config", "synthetic/tiny",
           "--data", str(data), "--out", str(root / "run"), "--dry-run"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(repo)})
    rc, wall, rss_kib, cpu = proc.stdout.split()
    if rc != "0":
        raise SystemExit(f"dry run failed:\n{proc.stderr}")
    print(proc.stderr.strip())
    print(f"dry run: {float(wall):.1f} s wall, {float(cpu):.1f} s CPU (user + system; the wall time of an idle machine)")
    return float(wall), int(rss_kib) / 2**20, float(cpu)


def build_index(data: Path) -> float:
    from sshr_cli.data.index import open_index
    from sshr_cli.text import Vocab

    t = time.perf_counter()
    open_index(data, ["en", "de"], "train", Vocab.load(data / "vocab.json"))
    return time.perf_counter() - t


def report(n: int, sshr: dict, lhotse: dict, counts: list[int]) -> None:
    from _result import result

    tag = f"N={n:,}"
    result("scale", f"start-up s to the first batch, {tag} (cached index, imports included)", sshr["first_batch_s"],
           lhotse["first_batch_s"], "lhotse lazy CutSet + DynamicBucketingSampler", "", unit="s")
    result("scale", f"plan s per epoch, {tag}", sshr["plan_s"], sshr["plan_s"], "-", "", unit="s",
           note="sshr only: lhotse buckets on the fly", ratio=1.0)
    result("scale", f"main index USS MiB, {tag}", sshr["index_main_mib"], max(lhotse["index_main_mib"], 0.01),
           "lhotse", "<=400 MiB", unit="MiB")
    for c in counts:
        s, lh = sshr["snaps"][str(c)], lhotse["snaps"][str(c)]
        result("scale", f"main PSS MiB after {c} batches, {tag}", s["main"]["pss"], lh["main"]["pss"], "lhotse",
               "<=1", unit="MiB")
        for w in range(WORKERS):
            for key in ("uss", "pss", "anon"):
                result("scale", f"worker {w} {key.upper()} MiB after {c} batches, {tag}", s["workers"][w][key],
                       lh["workers"][w][key], "lhotse", "<=1" if key == "uss" else "", unit="MiB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100000,1000000")
    p.add_argument("--batches", default="1000,10000")
    p.add_argument("--keep", type=Path, default=None, help="Write the corpora here and keep them.")
    p.add_argument("--child", choices=("sshr", "lhotse"))
    p.add_argument("--data")
    p.add_argument("--cuts")
    args = p.parse_args()
    if args.child:
        return child(args)
    counts = [int(c) for c in args.batches.split(",")]
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            root = (args.keep or Path(tmp)) / f"n{n}"
            t = time.perf_counter()
            data, cuts = write_corpus(root, n)
            print(f"N={n}: corpus written in {time.perf_counter() - t:.1f} s")
            load_first = os.getloadavg()[0]
            first_wall, first_rss, first_cpu = dry_run(data, root)  # builds the index
            load_cached = os.getloadavg()[0]
            cached_wall, cached_rss, cached_cpu = dry_run(data, root)
            print(f"dry run: first {first_wall:.1f} s / {first_rss:.2f} GiB peak RSS; cached {cached_wall:.1f} s / "
                  f"{cached_rss:.2f} GiB")
            build_s = build_index(data)  # the children's key (MMS conv stack) differs from the tiny dry run's
            print(f"index build (MMS conv stack, in-process): {build_s:.1f} s")
            print(f"children start at a 1-min load average of {os.getloadavg()[0]:.1f}")
            sshr = run_child("sshr", data, cuts, args.batches)
            lhotse = run_child("lhotse", data, cuts, args.batches)
            print(json.dumps({"sshr": sshr, "lhotse": lhotse}, indent=1))
            from _result import result

            result("scale", f"dry-run s first use, N={n:,}", first_wall, first_wall, "-", "<=20 s", unit="s", ratio=1.0,
                   note=f"{first_cpu:.1f} s CPU; 1-min load average {load_first:.1f} on {os.cpu_count()} CPUs")
            result("scale", f"dry-run s cached, N={n:,}", cached_wall, cached_wall, "-", "<=5 s", unit="s", ratio=1.0,
                   note=f"{cached_cpu:.1f} s CPU; 1-min load average {load_cached:.1f} on {os.cpu_count()} CPUs")
            result("scale", f"index build s, N={n:,}", build_s, build_s, "-", "", unit="s", ratio=1.0)
            result("scale", f"dry-run peak RSS GiB, N={n:,}", max(first_rss, cached_rss), 1.6, "goal", "<=1.6 GiB",
                   unit="GiB")
            report(n, sshr, lhotse, counts)


if __name__ == "__main__":
    main()
