"""Shared `sshr prepare` pipeline: utterance lists from a source reader -> manifests, vocab, report.

A source reader (commonvoice.py, mlsuperb.py, folder.py) lists utterances per language and
split, plus what it already had to drop (malformed rows). This module then:
1. measures every clip's duration from its audio header (threads, `jobs`), with a cache;
2. normalises the text and makes the target units (characters, or phonemes via espeak-ng);
3. drops, with a reason: missing clip, unreadable audio, empty text; in TRAIN only, clips
   shorter or longer than the train limits (dev/test are never dropped by length);
4. builds vocab.json from train units only and counts dev/test units it does not cover;
5. optionally writes 16 kHz FLAC copies; writes manifests, vocab.json and prepare_report.json.

Re-runs: everything is written atomically, and `OUT/.prepare/state.json` holds a fingerprint
of the arguments and the input files (sizes, mtimes). The same fingerprint with all outputs in
place means "up to date": nothing is redone. Otherwise the duration and phoneme caches in
`OUT/.prepare/` let an interrupted or changed run redo only what changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from sshr_cli import __version__
from sshr_cli.constants import MAX_TRAIN_DURATION_S, MIN_TRAIN_DURATION_S, SAMPLE_RATE_HZ
from sshr_cli.data.manifest import SPLITS, manifest_path, report_path, vocab_path
from sshr_cli.errors import ConfigError, DataError
from sshr_cli.io import atomic_path, write_json, write_jsonl
from sshr_cli.text import Vocab, normalize
from sshr_cli.text.units import text_to_chars

WORK_DIR = ".prepare"  # caches and state, inside OUT
STATE_FILE = "state.json"
MEASURE_CACHE = "durations.jsonl"
FLAC_DIR = "audio"  # OUT/audio/<lang>/<id>.flac with --resample-to-flac
UNITS = ("chars", "phonemes")
DEFAULT_JOBS = os.cpu_count() or 1
MEASURE_CHUNK = 64  # clips per thread task
HOURS_DIGITS = 6  # rounding in the report
RATE_DIGITS = 6

# Drop reasons (report keys)
MISSING_CLIP = "missing_clip"
UNREADABLE_AUDIO = "unreadable_audio"
EMPTY_TEXT = "empty_text"
NO_PHONEMES = "no_phonemes"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
MALFORMED_ROW = "malformed_row"
DUPLICATE_ID = "duplicate_id"

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class Utterance:
    id: str
    audio_path: Path  # absolute
    raw_text: str
    lang: str
    speaker: str = ""


@dataclass
class SplitInput:
    """One language and split as a source reader found it."""

    lang: str
    split: str
    utterances: list[Utterance] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)  # reason -> n, found while reading


@dataclass(frozen=True)
class SourceInput:
    source: str  # "commonvoice" | "mlsuperb" | "folder"
    args: dict  # the reader's arguments that change the result (JSON-able)
    index_files: tuple[Path, ...]  # TSVs / transcripts, fingerprinted by size and mtime
    splits: tuple[SplitInput, ...]


@dataclass(frozen=True)
class PrepareOptions:
    out_dir: Path
    units: str = "chars"
    jobs: int = DEFAULT_JOBS
    resample_to_flac: bool = False
    min_train_s: float = MIN_TRAIN_DURATION_S
    max_train_s: float = MAX_TRAIN_DURATION_S

    def check(self) -> None:
        if self.units not in UNITS:
            raise ConfigError(f"--units must be one of {', '.join(UNITS)}, got '{self.units}'")
        if self.jobs < 1:
            raise ConfigError(f"--jobs must be at least 1, got {self.jobs}")
        if not 0 <= self.min_train_s < self.max_train_s:
            raise ConfigError(f"train duration limits must satisfy 0 <= min < max, got "
                              f"{self.min_train_s}, {self.max_train_s}")


@dataclass(frozen=True)
class PrepareResult:
    report: dict
    out_dir: Path
    up_to_date: bool  # True: nothing was redone
    warnings: tuple[str, ...] = ()


# ---------------------------------------------------------------- fingerprint and state
def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def fingerprint(source: SourceInput, options: PrepareOptions) -> str:
    """A hash of everything that changes the output: arguments and input files' sizes/mtimes."""
    h = hashlib.sha256()
    settings = {"version": __version__, "source": source.source, "args": source.args,
                "units": options.units, "flac": options.resample_to_flac,
                "train_s": [options.min_train_s, options.max_train_s]}
    h.update(json.dumps(settings, sort_keys=True).encode())
    for path in source.index_files:
        h.update(f"{path}\t{_stat(path)}\n".encode())
    for split in source.splits:
        h.update(f"{split.lang}/{split.split}\t{sorted(split.dropped.items())}\n".encode())
        for utt in split.utterances:
            h.update(f"{utt.id}\t{utt.audio_path}\t{_stat(utt.audio_path)}\t{utt.raw_text}\n".encode())
    return h.hexdigest()


def _load_state(out_dir: Path) -> dict:
    path = out_dir / WORK_DIR / STATE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _outputs(out_dir: Path, report: dict) -> list[Path]:
    files = [vocab_path(out_dir), report_path(out_dir)]
    for lang, splits in report.get("langs", {}).items():
        files += [manifest_path(out_dir, lang, split) for split in splits]
    return files


def _remove_stale(out_dir: Path, old_report: dict, new_report: dict) -> None:
    """Manifests a previous run wrote that this run does not: remove them, so the folder tells the truth."""
    keep = set(_outputs(out_dir, new_report))
    for path in _outputs(out_dir, old_report):
        if path not in keep and path.suffix == ".jsonl" and path.is_file():
            path.unlink()
            if path.parent != out_dir and not any(path.parent.iterdir()):
                path.parent.rmdir()


# ---------------------------------------------------------------- measuring
def _measure_one(path: Path) -> dict:
    from sshr_cli.audio import audio_info

    stat = _stat(path)
    if stat is None:
        return {"path": str(path), "missing": True}
    entry = {"path": str(path), "size": stat[0], "mtime_ns": stat[1]}
    try:
        entry["duration"] = audio_info(path).duration_s
    except DataError as exc:
        entry["error"] = str(exc)
    return entry


class DurationCache:
    """path -> measured entry; an append-only JSONL file, so Ctrl-C loses at most a line."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, dict] = {}
        if path.is_file():
            with open(path, encoding="utf-8") as f:
                for line in f:
                    try:
                        entry = json.loads(line)
                    except ValueError:  # a line cut short by an interrupt
                        continue
                    self.entries[entry["path"]] = entry

    def get(self, path: Path) -> dict | None:
        entry = self.entries.get(str(path))
        stat = _stat(path)
        if entry is None or stat is None or (entry["size"], entry["mtime_ns"]) != stat:
            return None
        return entry

    def add(self, entries: Iterable[dict]) -> None:
        keep = [e for e in entries if not e.get("missing")]
        if not keep:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            for e in keep:
                self.entries[e["path"]] = e
                f.write(json.dumps(e, ensure_ascii=False) + "\n")


def _measure_chunk(paths: Sequence[Path]) -> list[dict]:
    return [_measure_one(p) for p in paths]


def measure(paths: Sequence[Path], cache: DurationCache, jobs: int,
            progress: Optional[Progress] = None) -> dict[str, dict]:
    """Duration (or the reason there is none) for every path; cached entries are reused."""
    unique = list(dict.fromkeys(paths))
    found = {str(p): e for p in unique if (e := cache.get(p)) is not None}
    todo = [p for p in unique if str(p) not in found]
    total, done = len(unique), len(found)
    if progress:
        progress("measuring", done, total)
    chunks = [todo[i:i + MEASURE_CHUNK] for i in range(0, len(todo), MEASURE_CHUNK)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for entries in pool.map(_measure_chunk, chunks):
            cache.add(entries)
            found.update((e["path"], e) for e in entries)
            done += len(entries)
            if progress:
                progress("measuring", done, total)
    return found


# ---------------------------------------------------------------- units
def make_units(texts_by_lang: dict[str, list[str]], units: str, work_dir: Path,
               progress: Optional[Progress] = None) -> dict[tuple[str, str], list[str]]:
    """(lang, normalised text) -> units, for every text; phonemes are batched per language and cached."""
    table: dict[tuple[str, str], list[str]] = {}
    total = len(texts_by_lang)
    for n, (lang, texts) in enumerate(sorted(texts_by_lang.items())):
        unique = sorted(set(texts))
        if units == "chars":
            out = [text_to_chars(t) for t in unique]
        else:
            from sshr_cli.text.phonemes import CACHE_SUFFIX, PhonemeCache

            out = PhonemeCache(work_dir / f"{lang}{CACHE_SUFFIX}", lang).units(unique)
        table.update(((lang, t), u) for t, u in zip(unique, out))
        if progress:
            progress(f"{units}", n + 1, total)
    return table


# ---------------------------------------------------------------- selection
def _drop_reason(utt_entry: dict | None, text: str, units: list[str], split: str,
                 options: PrepareOptions) -> str | None:
    if utt_entry is None or utt_entry.get("missing"):
        return MISSING_CLIP
    if "error" in utt_entry:
        return UNREADABLE_AUDIO
    if not text:
        return EMPTY_TEXT
    if not units:
        return NO_PHONEMES
    if split == "train":
        if utt_entry["duration"] < options.min_train_s:
            return TOO_SHORT
        if utt_entry["duration"] > options.max_train_s:
            return TOO_LONG
    return None


def select(split: SplitInput, durations: dict[str, dict], texts: dict[tuple[str, str], str],
           units: dict[tuple[str, str], list[str]], options: PrepareOptions) -> tuple[list[dict], Counter]:
    """Manifest rows kept for one split, and drop counts by reason (the reader's included)."""
    rows, dropped, seen = [], Counter(split.dropped), set()
    for utt in split.utterances:
        if utt.id in seen:
            dropped[DUPLICATE_ID] += 1
            continue
        seen.add(utt.id)
        entry = durations.get(str(utt.audio_path))
        text = texts[(utt.lang, utt.raw_text)]
        unit_list = units.get((utt.lang, text), [])
        reason = _drop_reason(entry, text, unit_list, split.split, options)
        if reason:
            dropped[reason] += 1
            continue
        rows.append({"id": utt.id, "audio_filepath": str(utt.audio_path), "duration": round(entry["duration"], 4),
                     "text": text, "raw_text": utt.raw_text, "lang": utt.lang, "speaker": utt.speaker,
                     "units": " ".join(unit_list)})
    return rows, dropped


def split_report(rows: list[dict], dropped: Counter, vocab: Vocab) -> dict:
    n_units = sum(len(r["units"].split()) for r in rows)
    n_unk = sum(vocab.count_unknown(r["units"].split()) for r in rows)
    return {"kept": len(rows), "dropped": dict(sorted((k, v) for k, v in dropped.items() if v)),
            "hours": round(sum(r["duration"] for r in rows) / 3600, HOURS_DIGITS),
            "unk_rate": round(n_unk / n_units, RATE_DIGITS) if n_units else 0.0}


# ---------------------------------------------------------------- FLAC copies
def flac_path(out_dir: Path, lang: str, utt_id: str) -> Path:
    return Path(out_dir).resolve() / FLAC_DIR / lang / f"{utt_id}.flac"


def _write_flac(task: tuple[str, str]) -> None:
    import soundfile as sf

    from sshr_cli.audio import load_audio

    src, dst = Path(task[0]), Path(task[1])
    if dst.is_file() and dst.stat().st_mtime_ns >= src.stat().st_mtime_ns:
        return
    audio = load_audio(src, SAMPLE_RATE_HZ)  # [S] float32 mono
    with atomic_path(dst) as tmp:
        sf.write(tmp, audio, SAMPLE_RATE_HZ, format="FLAC")


def write_flac_copies(rows: list[dict], out_dir: Path, jobs: int, progress: Optional[Progress] = None) -> None:
    """16 kHz mono FLAC copies of the kept clips; rows then point at the copies."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    tasks = [(r["audio_filepath"], str(flac_path(out_dir, r["lang"], r["id"]))) for r in rows]
    # spawn, not fork: a forked child deadlocks in torch if the parent already ran torch ops
    spawn = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=spawn) if jobs > 1 else None
    try:
        done = pool.map(_write_flac, tasks, chunksize=8) if pool else map(_write_flac, tasks)
        for n, _ in enumerate(done, 1):
            if progress:
                progress("flac", n, len(tasks))
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    for row, (_, dst) in zip(rows, tasks):
        row["audio_filepath"] = dst


# ---------------------------------------------------------------- orchestration
def _check_splits(source: SourceInput) -> None:
    for split in source.splits:
        if split.split not in SPLITS:
            raise ConfigError(f"unknown split '{split.split}'; choose from {', '.join(SPLITS)}")


def _warnings(report: dict) -> list[str]:
    notes = []
    for lang, splits in report["langs"].items():
        if "train" in splits and splits["train"]["kept"] == 0:
            notes.append(f"{lang}: no training utterances kept; its units are not in vocab.json")
    return notes


def prepare(source: SourceInput, options: PrepareOptions, progress: Optional[Progress] = None) -> PrepareResult:
    """Run the whole pipeline (see the module docstring); a no-op when nothing changed."""
    options.check()
    _check_splits(source)
    out_dir, work = Path(options.out_dir), Path(options.out_dir) / WORK_DIR
    key = fingerprint(source, options)
    state = _load_state(out_dir)
    if state.get("fingerprint") == key and all(p.is_file() for p in _outputs(out_dir, state["report"])):
        return PrepareResult(state["report"], out_dir, True, tuple(_warnings(state["report"])))
    all_utts = [u for s in source.splits for u in s.utterances]
    durations = measure([u.audio_path for u in all_utts], DurationCache(work / MEASURE_CACHE), options.jobs, progress)
    texts = {(u.lang, u.raw_text): normalize(u.raw_text, u.lang) for u in all_utts}
    by_lang: dict[str, list[str]] = {}
    for (lang, _), text in texts.items():
        if text:
            by_lang.setdefault(lang, []).append(text)
    units = make_units(by_lang, options.units, work, progress)
    kept = {(s.lang, s.split): select(s, durations, texts, units, options) for s in source.splits}
    vocab = Vocab.build(r["units"].split() for (_, split), (rows, _) in kept.items() if split == "train" for r in rows)
    if options.resample_to_flac:
        write_flac_copies([r for rows, _ in kept.values() for r in rows], out_dir, options.jobs, progress)
    report = {"units": options.units, "source": source.source,
              "args": {**source.args, "units": options.units, "resample_to_flac": options.resample_to_flac,
                       "min_train_s": options.min_train_s, "max_train_s": options.max_train_s},
              "langs": {}, "vocab_size": len(vocab)}
    for (lang, split), (rows, dropped) in kept.items():
        write_jsonl(manifest_path(out_dir, lang, split), rows)
        report["langs"].setdefault(lang, {})[split] = split_report(rows, dropped, vocab)
    vocab.save(vocab_path(out_dir))
    write_json(report_path(out_dir), report)
    _remove_stale(out_dir, state.get("report", {}), report)
    write_json(work / STATE_FILE, {"fingerprint": key, "report": report})
    return PrepareResult(report, out_dir, False, tuple(_warnings(report)))


# ---------------------------------------------------------------- screen
def report_table(report: dict):
    """The report as a rich Table: one row per language and split."""
    from rich.table import Table

    table = Table(title=f"prepare {report['source']} ({report['units']})", title_justify="left")
    for name, justify in (("lang", "left"), ("split", "left"), ("kept", "right"), ("hours", "right"),
                          ("unk %", "right"), ("dropped", "left")):
        table.add_column(name, justify=justify)
    for lang, splits in sorted(report["langs"].items()):
        for split in [s for s in SPLITS if s in splits]:
            r = splits[split]
            dropped = ", ".join(f"{k} {v}" for k, v in r["dropped"].items()) or "-"
            table.add_row(lang, split, str(r["kept"]), f"{r['hours']:.3f}", f"{100 * r['unk_rate']:.2f}", dropped)
    return table


def print_report(result: PrepareResult, console) -> None:
    console.print(report_table(result.report))
    for note in result.warnings:
        console.print(f"[yellow]warning:[/] {note}", soft_wrap=True)
    n_files = sum(len(s) for s in result.report["langs"].values())
    if result.up_to_date:
        console.print(f"up to date: {result.out_dir} already holds this result (same arguments and inputs); "
                      "nothing was redone", soft_wrap=True)
    else:
        console.print(f"wrote {n_files} manifests, vocab.json ({result.report['vocab_size']} units) and "
                      f"prepare_report.json to {result.out_dir}", soft_wrap=True)
