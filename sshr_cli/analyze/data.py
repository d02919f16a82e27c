"""Which utterances the probes see, and the train/test split by speaker."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from sshr_cli.data.manifest import load_manifest, manifest_path, prepared_langs
from sshr_cli.errors import DataError
from sshr_cli.text.units import text_to_chars

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class Utterance:
    id: str
    audio_path: str  # the manifest's audio_filepath
    duration_s: float
    lang: str
    speaker: str
    units: tuple[str, ...]
    test: bool = False  # held out for the probes (its speaker is in the test half)


def select_utterances(data_dir: Path, langs: tuple[str, ...], max_utts: int, seed: int) -> tuple[list[Utterance], dict]:
    """Up to `max_utts` utterances per language from all its manifests; notes on what was assumed."""
    langs = langs or tuple(prepared_langs(data_dir))
    if len(langs) < 2:
        found = ", ".join(prepared_langs(data_dir)) or "none"
        raise DataError(f"{data_dir}: need manifests for at least 2 languages to probe language (found: {found}); "
                        f"run `sshr prepare` or pass --langs")
    notes: dict = {"units_from_text": 0, "speaker_missing": 0}
    utts: list[Utterance] = []
    for lang in langs:
        rows = _lang_rows(data_dir, lang)
        random.Random(f"{seed}/{lang}").shuffle(rows)
        utts += [_utterance(row, lang, notes) for row in rows[:max_utts]]
    return utts, notes


def _lang_rows(data_dir: Path, lang: str) -> list[dict]:
    paths = [manifest_path(data_dir, lang, s) for s in SPLITS if manifest_path(data_dir, lang, s).is_file()]
    if not paths:
        raise DataError(f"no manifests for '{lang}' under {data_dir / lang} (run `sshr prepare` for it, or drop it from --langs)")
    rows = [row for p in paths for row in load_manifest(p)]
    return sorted(rows, key=lambda r: str(r["id"]))


def _utterance(row: dict, lang: str, notes: dict) -> Utterance:
    units = row.get("units")
    if not units:
        notes["units_from_text"] += 1
        units = " ".join(text_to_chars(str(row["text"])))
    speaker = row.get("speaker")
    if not speaker:
        notes["speaker_missing"] += 1
        speaker = f"utt:{row['id']}"  # unknown speaker: each utterance is its own
    return Utterance(str(row["id"]), str(row["audio_filepath"]), float(row["duration"]), str(row.get("lang") or lang),
                     str(speaker), tuple(str(units).split()))


def split_by_speaker(utts: list[Utterance], test_fraction: float, seed: int) -> list[Utterance]:
    """Mark whole speakers as test until each language has ~test_fraction of its utterances held out."""
    by_lang: dict[str, Counter] = defaultdict(Counter)
    for u in utts:
        by_lang[u.lang][u.speaker] += 1
    test_speakers: set[str] = set()
    for lang, counts in sorted(by_lang.items()):
        if len(counts) < 2:
            raise DataError(f"language '{lang}' has {len(counts)} speaker(s) in the selection; the speaker-disjoint "
                            f"probe split needs at least 2 (add data or raise --max-utts)")
        speakers = sorted(counts)
        random.Random(f"{seed}/split/{lang}").shuffle(speakers)
        _take_test_speakers(speakers, counts, test_fraction, test_speakers)
    out = [Utterance(**{**u.__dict__, "test": u.speaker in test_speakers}) for u in utts]
    check_both_sides(out)
    return out


def _take_test_speakers(speakers: list[str], counts: Counter, fraction: float, test_speakers: set[str]) -> None:
    total = sum(counts.values())
    held = sum(counts[s] for s in speakers if s in test_speakers)
    for s in speakers[:-1]:  # the last speaker always stays in train
        if held >= fraction * total and held > 0:
            break
        if s not in test_speakers:
            test_speakers.add(s)
            held += counts[s]


def check_both_sides(utts: list[Utterance]) -> None:
    for lang in sorted({u.lang for u in utts}):
        sides = {u.test for u in utts if u.lang == lang}
        if sides != {True, False}:
            raise DataError(f"language '{lang}': its speakers also speak other languages, and no speaker-disjoint "
                            f"train/test split is left; add speakers")
