"""Shared `sshr prepare` pipeline: utterance lists from a source reader -> manifests, vocab, report.

A source reader (commonvoice.py, mlsuperb.py, folder.py) fills the contract in source.py:
utterances per language and split, plus what it already had to drop (malformed rows). This
module then:
1. measures every clip's duration from its audio header (durations.py: threads, `jobs`, an
   on-disk cache looked up clip by clip);
2. normalises the text and makes the target units (characters, or phonemes via espeak-ng);
3. drops, with a reason: missing clip, unreadable audio, empty text; in TRAIN only, clips
   shorter or longer than the train limits (dev/test are never dropped by length);
4. builds vocab.json from train units only and counts dev/test units it does not cover;
5. optionally writes 16 kHz FLAC copies (flac.py); writes manifests, vocab.json and
   prepare_report.json (report.py also prints it).

Memory: the utterances are streamed, never held: each pass (fingerprint, durations, texts,
vocab, manifests) re-reads the reader's index files (source.Reread). What stays in memory grows
with the corpus's distinct sentences, not its clips: the normalised text and units per unique
(language, sentence), so phonemisation runs once per sentence. Per clip, only a split's set of
ids (duplicate detection, ~150 bytes a clip, during that split's pass) and, with
--resample-to-flac, the rows to copy.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

from sshr_cli import __version__
from sshr_cli.constants import MAX_TRAIN_DURATION_S, MIN_TRAIN_DURATION_S
from sshr_cli.data.durations import MEASURE_CACHE, DurationCache, Progress, file_stat, measure
from sshr_cli.data.flac import write_flac_copies
from sshr_cli.constants import UNITS
from sshr_cli.data.manifest import SPLITS, manifest_path, report_path, vocab_path
from sshr_cli.data.report import SplitStats, report_warnings
from sshr_cli.data.source import (DUPLICATE_ID, EMPTY_TEXT, MISSING_CLIP, NO_PHONEMES, TOO_LONG, TOO_SHORT,
                                  UNREADABLE_AUDIO, SourceInput, SplitInput, Utterance)
from sshr_cli.errors import ConfigError
from sshr_cli.io import write_json, write_jsonl
from sshr_cli.text import Vocab, normalize
from sshr_cli.text.units import text_to_chars

WORK_DIR = ".prepare"  # caches and state, inside OUT
STATE_FILE = "state.json"
DEFAULT_JOBS = os.cpu_count() or 1
UNREADABLE_EXAMPLES = 5  # unreadable clips named (with the reason) on screen; the report counts them all


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
def fingerprint(source: SourceInput, options: PrepareOptions) -> tuple[str, int]:
    """(A hash of everything that changes the output: arguments and input files' sizes/mtimes,
    the number of utterances)."""
    h = hashlib.sha256()
    settings = {"version": __version__, "source": source.source, "args": source.args,
                "units": options.units, "flac": options.resample_to_flac,
                "train_s": [options.min_train_s, options.max_train_s]}
    h.update(json.dumps(settings, sort_keys=True).encode())
    for path in source.index_files:
        h.update(f"{path}\t{file_stat(path)}\n".encode())
    n = 0
    for split in source.splits:
        h.update(f"{split.lang}/{split.split}\t{sorted(split.dropped.items())}\n".encode())
        for n, utt in enumerate(split.utterances, n + 1):
            h.update(f"{utt.id}\t{utt.audio_path}\t{file_stat(utt.audio_path)}\t{utt.raw_text}\n".encode())
    return h.hexdigest(), n


def _load_state(out_dir: Path) -> dict:
    path = out_dir / WORK_DIR / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent or torn: a cache, rebuilt
        return {}
    return state if isinstance(state, dict) and isinstance(state.get("report", {}), dict) else {}


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


def select(split: SplitInput, durations: DurationCache, texts: dict[tuple[str, str], str],
           units: dict[tuple[str, str], list[str]], options: PrepareOptions, dropped: Counter) -> Iterator[dict]:
    """Manifest rows kept for one split, streamed (no list of rows is held); drop counts by reason
    go into `dropped` (the reader's included) as the rows go by."""
    dropped.update(split.dropped)
    seen = set()  # the split's ids: ~150 bytes a clip, for this pass only
    for utt in split.utterances:
        if utt.id in seen:
            dropped[DUPLICATE_ID] += 1
            continue
        seen.add(utt.id)
        entry = durations.entry(str(utt.audio_path))
        text = texts[(utt.lang, utt.raw_text)]
        unit_list = units.get((utt.lang, text), [])
        reason = _drop_reason(entry, text, unit_list, split.split, options)
        if reason:
            dropped[reason] += 1
            continue
        yield {"id": utt.id, "audio_filepath": str(utt.audio_path), "duration": round(entry["duration"], 4),
               "text": text, "raw_text": utt.raw_text, "lang": utt.lang, "speaker": utt.speaker,
               "units": " ".join(unit_list)}


# ---------------------------------------------------------------- orchestration
def _check_splits(source: SourceInput) -> None:
    for split in source.splits:
        if split.split not in SPLITS:
            raise ConfigError(f"unknown split '{split.split}'; choose from {', '.join(SPLITS)}")


def prepare(source: SourceInput, options: PrepareOptions, progress: Optional[Progress] = None) -> PrepareResult:
    """Run the whole pipeline (see the module docstring); a no-op when nothing changed."""
    options.check()
    _check_splits(source)
    out_dir, work = Path(options.out_dir), Path(options.out_dir) / WORK_DIR
    key, n_utts = fingerprint(source, options)
    state = _load_state(out_dir)
    if state.get("fingerprint") == key and all(p.is_file() for p in _outputs(out_dir, state["report"])):
        return PrepareResult(state["report"], out_dir, True, tuple(report_warnings(state["report"])))
    durations = DurationCache(work / MEASURE_CACHE)
    try:
        return _prepare(source, options, progress, durations, (key, n_utts, state))
    finally:
        durations.close()


def _prepare(source: SourceInput, options: PrepareOptions, progress: Optional[Progress], durations: DurationCache,
             run: tuple[str, int, dict]) -> PrepareResult:
    (key, n_utts, state), out_dir, work = run, Path(options.out_dir), Path(options.out_dir) / WORK_DIR
    utts = _all_utterances(source)
    unreadable = measure((u.audio_path for u in utts()), durations, options.jobs, progress, n_utts)
    texts = {}  # (lang, raw text) -> normalised: one entry per distinct sentence, not per clip
    for u in utts():
        if (u.lang, u.raw_text) not in texts:
            texts[u.lang, u.raw_text] = normalize(u.raw_text, u.lang)
    units = make_units(_texts_by_lang(texts), options.units, work, progress)
    facts = (durations, texts, units, options)
    vocab = Vocab.build(r["units"].split() for s in source.splits if s.split == "train"
                        for r in select(s, *facts, Counter()))  # a first pass: dev/test rows count unknown units
    kept = {(s.lang, s.split): (select(s, *facts, dropped := Counter()), dropped) for s in source.splits}
    if options.resample_to_flac:  # the copies rename the rows' audio: these rows are held in memory
        kept = {key: (list(rows), dropped) for key, (rows, dropped) in kept.items()}
        write_flac_copies([r for rows, _ in kept.values() for r in rows], out_dir, options.jobs, progress)
    report = _write_outputs(out_dir, kept, vocab, _report_head(source, options, vocab))
    _remove_stale(out_dir, state.get("report", {}), report)
    write_json(work / STATE_FILE, {"fingerprint": key, "report": report})
    return PrepareResult(report, out_dir, False, tuple(report_warnings(report) + unreadable_notes(unreadable)))


def _all_utterances(source: SourceInput) -> Callable[[], Iterator[Utterance]]:
    """A fresh pass over every split's utterances each call."""
    return lambda: (u for s in source.splits for u in s.utterances)


def unreadable_notes(unreadable: set[str], examples: int = UNREADABLE_EXAMPLES) -> list[str]:
    """Which clips were dropped as unreadable, and why (the first few): what the report's counts do not say."""
    errors = sorted(unreadable)
    notes = [f"dropped unreadable clip {e}" for e in errors[:examples]]
    if len(errors) > examples:
        notes.append(f"dropped {len(errors) - examples} more unreadable clip(s) (counted in prepare_report.json)")
    return notes


def _texts_by_lang(texts: dict[tuple[str, str], str]) -> dict[str, list[str]]:
    """(lang, raw text) -> normalised text, to lang -> the non-empty normalised texts."""
    by_lang: dict[str, list[str]] = {}
    for (lang, _), text in texts.items():
        if text:
            by_lang.setdefault(lang, []).append(text)
    return by_lang


def _report_head(source: SourceInput, options: PrepareOptions, vocab: Vocab) -> dict:
    release = {"release": source.release} if source.release else {}
    return {"units": options.units, "source": source.source, **release,
            "args": {**source.args, "units": options.units, "resample_to_flac": options.resample_to_flac,
                     "min_train_s": options.min_train_s, "max_train_s": options.max_train_s},
            "langs": {}, "vocab_size": len(vocab)}


def _write_outputs(out_dir: Path, kept: dict, vocab: Vocab, report: dict) -> dict:
    """Manifests, vocab.json and prepare_report.json (the report gains a row per language and split).
    `kept`: (lang, split) -> (rows, drop counts), rows possibly a generator that fills its counts."""
    for (lang, split), (rows, dropped) in kept.items():
        stats = SplitStats(vocab)
        write_jsonl(manifest_path(out_dir, lang, split), stats.counted(rows))  # streamed, counted on the way
        report["langs"].setdefault(lang, {})[split] = stats.report(dropped)
    vocab.save(vocab_path(out_dir))
    write_json(report_path(out_dir), report)
    return report
