"""A plain folder of audio files with transcripts, in one of two forms:

1. A transcript beside each audio file: `clip.wav` + `clip.txt` (the whole file is the text).
   An audio file without its .txt is dropped as `no_transcript` and counted.
2. One TSV at the top of DIR (`transcripts.tsv`, or the only *.tsv there), read by header with
   no quoting: a path column (`path`, `file`, `audio`, `audio_filepath` or `filename`, relative
   to DIR or absolute) and a text column (`text`, `sentence`, `transcript` or `transcription`);
   optional `speaker` and `split` columns. Rows with the wrong column count are `malformed_row`.

Split: the TSV's `split` column, else the first folder under DIR when it is train/, dev/ or
test/, else the `split` argument. The whole folder is one language (`lang`).
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

from sshr_cli.io import iter_text_lines
from sshr_cli.audio import AUDIO_SUFFIXES
from sshr_cli.data.manifest import SPLITS
from sshr_cli.data.source import MALFORMED_ROW, Reread, SourceInput, SplitInput, Utterance
from sshr_cli.errors import ConfigError, DataError

TSV_NAME = "transcripts.tsv"
PATH_COLUMNS = ("path", "file", "audio", "audio_filepath", "filename")
TEXT_COLUMNS = ("text", "sentence", "transcript", "transcription")
SIDECAR_SUFFIX = ".txt"
NO_TRANSCRIPT = "no_transcript"
UNKNOWN_LANG = "und"


def _utt_id(rel: Path) -> str:
    return "-".join(rel.with_suffix("").parts)


def _split_of(rel: Path, default: str) -> str:
    return rel.parts[0] if len(rel.parts) > 1 and rel.parts[0] in SPLITS else default


def _find_tsv(root: Path) -> Path | None:
    if (root / TSV_NAME).is_file():
        return root / TSV_NAME
    tsvs = sorted(root.glob("*.tsv"))
    if len(tsvs) > 1:
        names = ", ".join(p.name for p in tsvs)
        raise DataError(f"several TSVs in {root} ({names}); name the transcript one {TSV_NAME}")
    return tsvs[0] if tsvs else None


def _column(header: list[str], names: tuple[str, ...], tsv: Path, what: str) -> int:
    for name in names:
        if name in header:
            return header.index(name)
    raise DataError(f"{tsv}: no {what} column; name one of: {', '.join(names)}")


def _from_tsv(root: Path, tsv: Path, lang: str, default_split: str) -> dict[str, SplitInput]:
    return _by_split(partial(_tsv_rows, root, tsv, lang, default_split), lang)


def _from_sidecars(root: Path, lang: str, default_split: str) -> dict[str, SplitInput]:
    return _by_split(partial(_sidecar_rows, root, lang, default_split), lang)


def _by_split(rows: Callable[[dict], Iterator[tuple[str, Utterance]]], lang: str) -> dict[str, SplitInput]:
    """Split -> its SplitInput, from one reader generator of (split, utterance) that counts drops per
    split: one pass now (errors, counts, which splits there are); each split's later passes re-read."""
    dropped: dict[str, Counter] = {}
    for _ in rows(dropped):
        pass

    def only(split: str) -> Reread:
        return Reread(lambda: (utt for s, utt in rows({}) if s == split))

    return {split: SplitInput(lang, split, only(split), counts) for split, counts in dropped.items()}


def _tsv_rows(root: Path, tsv: Path, lang: str, default_split: str,
              dropped: dict[str, Counter]) -> Iterator[tuple[str, Utterance]]:
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(iter_text_lines(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None) or []
    i_path = _column(header, PATH_COLUMNS, tsv, "audio path")
    i_text = _column(header, TEXT_COLUMNS, tsv, "transcript")
    i_spk = header.index("speaker") if "speaker" in header else None
    i_split = header.index("split") if "split" in header else None
    for row in reader:
        if not row:
            continue
        split = row[i_split].strip() if i_split is not None and len(row) == len(header) else default_split
        counts = dropped.setdefault(split, Counter())
        if len(row) != len(header) or not row[i_path].strip():
            counts[MALFORMED_ROW] += 1
            continue
        path = (root / row[i_path].strip()).resolve()
        rel = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
        speaker = row[i_spk] if i_spk is not None else ""
        yield split, Utterance(_utt_id(rel), path, row[i_text], lang, speaker)


def _sidecar_rows(root: Path, lang: str, default_split: str,
                  dropped: dict[str, Counter]) -> Iterator[tuple[str, Utterance]]:
    audio = sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
    if not audio:
        raise DataError(f"no audio files ({', '.join(AUDIO_SUFFIXES)}) and no {TSV_NAME} in {root}")
    for path in audio:
        rel = path.relative_to(root)
        split = _split_of(rel, default_split)
        counts = dropped.setdefault(split, Counter())
        sidecar = path.with_suffix(SIDECAR_SUFFIX)
        if not sidecar.is_file():
            counts[NO_TRANSCRIPT] += 1
            continue
        text = sidecar.read_text(encoding="utf-8", errors="replace")
        yield split, Utterance(_utt_id(rel), path, text, lang, "")


def folder_source(root: str | Path, lang: str = UNKNOWN_LANG, split: str = "train") -> SourceInput:
    """Everything `prepare` needs from a plain folder (see the module docstring)."""
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise DataError(f"{root} is not a folder of audio files")
    if split not in SPLITS:
        raise ConfigError(f"--split must be one of {', '.join(SPLITS)}, got '{split}'")
    tsv = _find_tsv(root)
    parts = _from_tsv(root, tsv, lang, split) if tsv else _from_sidecars(root, lang, split)
    bad = sorted(set(parts) - set(SPLITS))
    if bad:
        raise DataError(f"{tsv}: unknown split value(s) {', '.join(bad)}; use {', '.join(SPLITS)}")
    index = (tsv,) if tsv else tuple(sorted(root.rglob(f"*{SIDECAR_SUFFIX}")))
    args = {"corpus_dir": str(root), "langs": [lang], "splits": sorted(parts), "default_split": split}
    ordered = tuple(parts[s] for s in SPLITS if s in parts)
    return SourceInput("folder", args, index, ordered)
