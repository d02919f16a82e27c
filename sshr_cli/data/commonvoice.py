"""Common Voice release reader: `cv-corpus-*/<lang>/{clips/, train.tsv, dev.tsv, test.tsv}`.

TSVs are read by their header, tab-separated, with NO quoting (Common Voice sentences hold
unbalanced quotes). Only `path` and `sentence` are required; `client_id` gives the speaker
when present. Old releases (`accent` instead of `accents`, no `variant`/`segment`/
`sentence_id`) and extra columns work, because nothing else is read. A row whose column
count differs from the header's is dropped as `malformed_row` and counted.
"""

from __future__ import annotations

import csv
import os
import re
import sys
from collections import Counter
from pathlib import Path
from functools import partial
from typing import Iterator, Sequence

from sshr_cli.data.manifest import SPLITS
from sshr_cli.data.source import MALFORMED_ROW, SourceInput, SplitInput, Utterance, read_checked
from sshr_cli.constants import CV_RELEASE
from sshr_cli.errors import DataError

REQUIRED_COLUMNS = ("path", "sentence")
SPEAKER_COLUMN = "client_id"
CLIPS_DIR = "clips"
CLIP_SUFFIX = ".mp3"  # some old releases leave it out of `path`
LANG_MARKERS = (CLIPS_DIR, "validated.tsv", "train.tsv", "dev.tsv", "test.tsv")


def _is_lang_dir(path: Path) -> bool:
    return any((path / marker).exists() for marker in LANG_MARKERS)


def _list_dir(path: Path) -> list[Path]:
    if not path.exists():
        raise DataError(f"Common Voice folder {path} does not exist")
    if not path.is_dir():
        raise DataError(f"{path} is not a folder; pass a cv-corpus-*/ release or one language folder")
    try:
        with os.scandir(path) as entries:
            return sorted(Path(e.path) for e in entries if e.is_dir())
    except OSError as exc:
        raise DataError(f"cannot read {path} ({exc.strerror or exc}); check its permissions") from exc


def find_languages(corpus_dir: str | Path) -> dict[str, Path]:
    """Language code -> language folder. `corpus_dir` is a release or one language folder."""
    corpus_dir = Path(corpus_dir).expanduser().resolve()
    subdirs = _list_dir(corpus_dir)
    if _is_lang_dir(corpus_dir):
        return {corpus_dir.name: corpus_dir}
    found = {p.name: p for p in subdirs if _is_lang_dir(p)}
    if not found:
        raise DataError(f"no Common Voice language folders (<lang>/clips, <lang>/train.tsv) in {corpus_dir}")
    return found


def pick_languages(found: dict[str, Path], langs: Sequence[str] | None, corpus_dir: Path) -> dict[str, Path]:
    if not langs:
        return found
    unknown = [lang for lang in langs if lang not in found]
    if unknown:
        raise DataError(f"language(s) {', '.join(unknown)} not in {corpus_dir}; found: {', '.join(sorted(found))}")
    return {lang: found[lang] for lang in langs}


def _split_file(lang_dir: Path, lang: str, split: str) -> Path:
    path = lang_dir / f"{split}.tsv"
    if path.is_file():
        return path
    have = [s for s in SPLITS if (lang_dir / f"{s}.tsv").is_file()]
    if split == "train":
        raise DataError(f"{lang} has no train split ({path} not found); prepare it for evaluation only "
                        f"with --splits {','.join(have) or 'dev,test'}, or leave it out of --langs")
    raise DataError(f"{path} not found; {lang} has: {', '.join(have) or 'no split TSVs'} (choose with --splits)")


def _clip_path(clips_dir: Path, name: str) -> Path:
    path = clips_dir / name
    if not path.suffix and not path.exists():
        return path.with_suffix(CLIP_SUFFIX)
    return path


def read_split(tsv: Path, lang: str, split: str) -> SplitInput:
    """One split TSV -> utterances (audio in ../clips, re-read on each pass), malformed rows counted."""
    return SplitInput(lang, split, *read_checked(partial(_rows, tsv, lang)))


def _rows(tsv: Path, lang: str, dropped: Counter) -> Iterator[Utterance]:
    clips_dir = tsv.parent / CLIPS_DIR
    csv.field_size_limit(sys.maxsize)
    try:
        with open(tsv, encoding="utf-8", newline="") as f:
            reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, None) or []
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise DataError(f"{tsv}: header lacks column(s) {', '.join(missing)}; "
                                f"a Common Voice TSV needs {', '.join(REQUIRED_COLUMNS)}")
            col = {name: i for i, name in enumerate(header)}
            for row in reader:
                if not row:
                    continue  # a blank line is not a row
                if len(row) != len(header) or not row[col["path"]].strip():
                    dropped[MALFORMED_ROW] += 1
                    continue
                path = _clip_path(clips_dir, row[col["path"]].strip())
                speaker = row[col[SPEAKER_COLUMN]] if SPEAKER_COLUMN in col else ""
                yield Utterance(path.stem, path, row[col["sentence"]], lang, speaker)
    except UnicodeDecodeError as exc:
        raise DataError(f"{tsv}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise DataError(f"cannot read {tsv} ({exc.strerror or exc})") from exc


def commonvoice_source(corpus_dir: str | Path, langs: Sequence[str] | None = None,
                       splits: Sequence[str] = SPLITS) -> SourceInput:
    """Everything `prepare` needs from a Common Voice release, for the chosen languages and splits."""
    corpus_dir = Path(corpus_dir).expanduser().resolve()
    bad = [s for s in splits if s not in SPLITS]
    if not splits:
        raise DataError(f"no splits chosen; pass --splits with some of {', '.join(SPLITS)}")
    if bad:
        raise DataError(f"unknown split(s) {', '.join(bad)}; choose from {', '.join(SPLITS)}")
    chosen = pick_languages(find_languages(corpus_dir), langs, corpus_dir)
    files = {(lang, split): _split_file(d, lang, split) for lang, d in chosen.items() for split in splits}
    parts = tuple(read_split(path, lang, split) for (lang, split), path in files.items())
    args = {"corpus_dir": str(corpus_dir), "langs": sorted(chosen), "splits": list(splits)}
    return SourceInput("commonvoice", args, tuple(files.values()), parts, release=release_of(corpus_dir))


def release_of(corpus_dir: str | Path) -> str | None:
    """'cv-corpus-17.0-2024-03-15' for that release folder or one of its language folders; None
    when neither folder is named like a release (a renamed or hand-made corpus)."""
    path = Path(corpus_dir)
    for name in (path.name, path.parent.name):
        if re.fullmatch(CV_RELEASE, name):
            return name
    return None
