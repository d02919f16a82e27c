"""The contract every source reader (commonvoice.py, mlsuperb.py, folder.py) fills for `sshr prepare`.

A reader lists utterances per language and split (SplitInput), counts what it already had to
drop (e.g. MALFORMED_ROW), and names the arguments and index files that change the result
(SourceInput), so that data/prepare.py can fingerprint, measure, select and write.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

# Drop reasons (report keys)
MISSING_CLIP = "missing_clip"
UNREADABLE_AUDIO = "unreadable_audio"
EMPTY_TEXT = "empty_text"
NO_PHONEMES = "no_phonemes"
TOO_SHORT = "too_short"
TOO_LONG = "too_long"
MALFORMED_ROW = "malformed_row"
DUPLICATE_ID = "duplicate_id"


@dataclass(frozen=True, slots=True)  # no per-object __dict__: ~50 bytes less a clip
class Utterance:
    id: str
    audio_path: Path  # absolute; becomes the manifest's audio_filepath
    raw_text: str
    lang: str
    speaker: str = ""


@dataclass
class SplitInput:
    """One language and split as a source reader found it. `utterances` may be walked many times
    (a list, or a Reread that reads its index file afresh on each pass)."""

    lang: str
    split: str
    utterances: Iterable[Utterance] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)  # reason -> n, found while reading


class Reread:
    """Utterances read afresh from their index file on every pass (`for utt in reread`), so that
    prepare's several passes each stream and no list of Utterance objects (~1 KiB a clip) is held."""

    __slots__ = ("_read",)

    def __init__(self, read: Callable[[], Iterator[Utterance]]):
        self._read = read

    def __iter__(self) -> Iterator[Utterance]:
        return iter(self._read())


def read_checked(read: Callable[[Counter], Iterator[Utterance]]) -> tuple[Reread, Counter]:
    """(utterances, drop counts) of a reader generator `read(dropped)`: one pass now, so that a bad
    file fails here with its one-line error and the counts are known; later passes re-read."""
    dropped: Counter = Counter()
    for _ in read(dropped):
        pass
    return Reread(lambda: read(Counter())), dropped


@dataclass(frozen=True)
class SourceInput:
    source: str  # "commonvoice" | "mlsuperb" | "folder"
    args: dict  # the reader's arguments that change the result (JSON-able)
    index_files: tuple[Path, ...]  # TSVs / transcripts, fingerprinted by size and mtime
    splits: tuple[SplitInput, ...]
    release: str | None = None  # the corpus release when the folder names one (cv-corpus-17.0-2024-03-15)
