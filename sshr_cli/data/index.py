"""A compact, memory-mapped training index: one per prepared folder, split and language list.

    index = open_index(data_dir, langs, "train", vocab, frames_of, max_duration)   # builds or reuses
    index.durations[i], index.lang_ids[i], index.labels(i), index.audio_path(i), index[i]  # -> Utterance

A million manifest rows as Python objects cost ~1.8 GiB per process, and forked DataLoader
workers slowly copied them (reference counts dirty the pages). Here every column is a flat
array in a raw file under DATA/.index/<split>-<key>/, opened with np.memmap: the pages belong to
the page cache, so workers and DDP ranks on one node share one copy and nothing is copied when
items are read.

    durations.bin   float32 [N]    s
    lang_ids.bin    int16   [N]    position in `langs`
    labels.bin      int32   [L]    every utterance's label ids, end to end
    labels.off      int64   [N+1]  utterance i's labels are labels[off[i]:off[i+1]]
    <col>.bin/.off  uint8 / int64  the strings id, audio_path, units (UTF-8), the same way
    meta.json       sizes, skip report, train-word unigrams, the key

The key hashes the format version, the manifests' and vocab.json's (size, mtime_ns), the
language list and the skip rules, so a changed manifest or vocabulary gives a new folder (stale
folders of the split are removed). The build streams the manifests row by row into files, so its
memory does not grow with the corpus; it is written into a temp folder and renamed (sshr_cli.io).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from array import array
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from sshr_cli.constants import SAMPLE_RATE_HZ
from sshr_cli.data.manifest import REQUIRED_FIELDS, manifest_path, vocab_path
from sshr_cli.errors import DataError
from sshr_cli.io import atomic_dir, read_json, write_json
from sshr_cli.text.vocab import Vocab

INDEX_DIR = ".index"  # DATA/.index/, beside the language folders (dot-folders are sshr's own state)
INDEX_FORMAT = 1  # bump when the layout changes: old folders are then rebuilt
STRING_COLUMNS = ("id", "audio_path", "units")
META_FILE = "meta.json"
SKIP_EXAMPLES = 3  # ids kept per skip reason
MMS_CONV_KERNELS = (10, 3, 3, 3, 3, 2, 2)  # wav2vec2 conv feature encoder: 320 samples per frame
MMS_CONV_STRIDES = (5, 2, 2, 2, 2, 2, 2)


@dataclass(frozen=True)
class Utterance:
    """One row of an index, materialised on demand (dev references, tests)."""

    id: str
    audio_path: str
    duration: float  # s
    lang: str
    lang_id: int
    labels: tuple[int, ...]
    units: str  # space-separated reference units, "|" between words


def conv_frames(num_samples: int, kernels: Sequence[int] = MMS_CONV_KERNELS,
                strides: Sequence[int] = MMS_CONV_STRIDES) -> int:
    """Encoder frames for `num_samples` of audio (the conv stack, no padding)."""
    n = num_samples
    for k, s in zip(kernels, strides):
        n = (n - k) // s + 1
    return max(n, 0)


def ctc_min_frames(labels: Sequence[int]) -> int:
    """Frames CTC needs for `labels`: one per label plus a blank between each repeated pair."""
    return len(labels) + sum(a == b for a, b in zip(labels, labels[1:]))


class SkipReport:
    """reason -> count, and a few example ids per reason."""

    def __init__(self, counts: dict[str, int] | None = None, examples: dict[str, list[str]] | None = None):
        self.counts, self.examples = dict(counts or {}), dict(examples or {})

    def add(self, reason: str, utt_id: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        ids = self.examples.setdefault(reason, [])
        if len(ids) < SKIP_EXAMPLES:
            ids.append(utt_id)

    def lines(self, split: str) -> list[str]:
        return [f"{split}: skipped {n} utterance(s): {reason} (e.g. {', '.join(self.examples[reason])})"
                for reason, n in sorted(self.counts.items())]


# ---------------------------------------------------------------- the key
def index_key(data_dir: Path, langs: Sequence[str], split: str, kernels: Sequence[int], strides: Sequence[int],
              max_duration: float | None) -> str:
    """A hash of everything the index is built from (see the module docstring)."""
    h = hashlib.sha256(json.dumps({"format": INDEX_FORMAT, "langs": list(langs), "split": split,
                                   "kernels": list(kernels), "strides": list(strides),
                                   "max_duration": max_duration}).encode())
    for path in [vocab_path(data_dir)] + [manifest_path(data_dir, lang, split) for lang in langs]:
        try:
            st = path.stat()
        except OSError:
            raise DataError(f"{path} not found (run `sshr prepare` first, or pass the right --data)") from None
        h.update(f"{path.name}\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def index_dir(data_dir: str | Path, split: str, key: str) -> Path:
    return Path(data_dir) / INDEX_DIR / f"{split}-{key}"


# ---------------------------------------------------------------- building
class _Writer:
    """Streams columns into raw files in `folder`."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.durations, self.lang_ids = array("f"), array("h")
        self.offsets = {c: array("q", [0]) for c in ("labels", *STRING_COLUMNS)}
        self.files = {c: open(folder / f"{c}.bin", "wb") for c in ("labels", *STRING_COLUMNS)}
        self.words: Counter = Counter()

    def add(self, row: dict, labels: list[int], duration: float, lang_id: int) -> None:
        self.durations.append(duration)
        self.lang_ids.append(lang_id)
        self._put("labels", array("i", labels).tobytes(), len(labels))
        for column, value in zip(STRING_COLUMNS, (row["id"], row["audio_filepath"], row["units"])):
            data = str(value).encode("utf-8")
            self._put(column, data, len(data))
        self.words.update(str(row.get("text", "")).split())

    def _put(self, column: str, data: bytes, n: int) -> None:
        self.files[column].write(data)
        off = self.offsets[column]
        off.append(off[-1] + n)

    def close(self) -> int:
        for f in self.files.values():
            f.close()
        (self.folder / "durations.bin").write_bytes(self.durations.tobytes())
        (self.folder / "lang_ids.bin").write_bytes(self.lang_ids.tobytes())
        for column, off in self.offsets.items():
            (self.folder / f"{column}.off").write_bytes(off.tobytes())
        return len(self.durations)


def _rows(path: Path):
    """(line number, row) for each row of a manifest, streamed; one-line DataError on bad input."""
    if not path.is_file():
        raise DataError(f"manifest not found: {path} (run `sshr prepare` first, or pass the right --data)")
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise DataError(f"{path}:{n}: not JSON ({exc}); expected one JSON object per line") from exc
            missing = [k for k in (*REQUIRED_FIELDS, "units") if k not in row]
            if missing:
                hint = "; re-run `sshr prepare` with this version" if missing == ["units"] else ""
                raise DataError(f"{path}:{n}: missing field(s) {', '.join(missing)}{hint}")
            yield row


def _skip_reason(labels: list[int], duration: float, frames_of: Callable[[int], int],
                 max_duration: float | None) -> str | None:
    if not labels:
        return "no target units"
    if max_duration is not None and duration > max_duration:
        return f"longer than {max_duration:g} s"
    if ctc_min_frames(labels) > frames_of(round(duration * SAMPLE_RATE_HZ)):
        return "more labels than encoder frames"
    return None


def build_index(folder: Path, data_dir: Path, langs: Sequence[str], split: str, vocab: Vocab,
                frames_of: Callable[[int], int], max_duration: float | None, key: str) -> None:
    """Write the index of `split` into `folder` (see the module docstring)."""
    writer, skipped = _Writer(folder), SkipReport()
    try:
        for lang_id, lang in enumerate(langs):
            for row in _rows(manifest_path(data_dir, lang, split)):
                labels = vocab.encode(row["units"].split())
                duration = float(row["duration"])
                reason = _skip_reason(labels, duration, frames_of, max_duration)
                if reason:
                    skipped.add(reason, str(row["id"]))
                else:
                    writer.add(row, labels, duration, lang_id)
    finally:
        n = writer.close()
    unigrams = [w for w, _ in sorted(writer.words.items(), key=lambda kv: (-kv[1], kv[0]))]
    write_json(folder / META_FILE, {"format": INDEX_FORMAT, "key": key, "split": split, "langs": list(langs),
                                    "n": n, "labels": writer.offsets["labels"][-1], "skipped": skipped.counts,
                                    "skip_examples": skipped.examples, "unigrams": unigrams}, indent=None)


# ---------------------------------------------------------------- reading
def _map(path: Path, dtype) -> np.ndarray:
    """A read-only memory map of a raw array file (an empty array for an empty file)."""
    if path.stat().st_size == 0:
        return np.zeros(0, dtype)
    return np.memmap(path, dtype=dtype, mode="r").view(np.ndarray)  # plain views index faster than memmap


class SpeechIndex:
    """The columns of one built index, memory-mapped (see the module docstring)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.meta = read_json(self.folder / META_FILE, DataError, hint="delete the folder to rebuild it")
        self.langs: list[str] = self.meta["langs"]
        self.durations = _map(self.folder / "durations.bin", np.float32)  # [N] s
        self.lang_ids = _map(self.folder / "lang_ids.bin", np.int16)  # [N]
        self._data = {c: _map(self.folder / f"{c}.bin", np.int32 if c == "labels" else np.uint8)
                      for c in ("labels", *STRING_COLUMNS)}
        self._off = {c: _map(self.folder / f"{c}.off", np.int64) for c in ("labels", *STRING_COLUMNS)}

    def __len__(self) -> int:
        return len(self.durations)

    def __getstate__(self) -> dict:
        return {"folder": self.folder}  # spawned workers map the files again instead of copying them

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["folder"])

    def labels(self, i: int) -> np.ndarray:
        """Utterance i's label ids, int32 [L] (a view into the map)."""
        off = self._off["labels"]
        return self._data["labels"][off[i]: off[i + 1]]

    def string(self, column: str, i: int) -> str:
        off = self._off[column]
        return self._data[column][off[i]: off[i + 1]].tobytes().decode("utf-8")

    def audio_path(self, i: int) -> str:
        return self.string("audio_path", i)

    def __getitem__(self, i: int) -> Utterance:
        lang_id = int(self.lang_ids[i])
        return Utterance(self.string("id", i), self.audio_path(i), float(self.durations[i]), self.langs[lang_id],
                         lang_id, tuple(int(x) for x in self.labels(i)), self.string("units", i))

    @property
    def skipped(self) -> SkipReport:
        return SkipReport(self.meta["skipped"], self.meta["skip_examples"])

    @property
    def unigrams(self) -> list[str]:
        return self.meta["unigrams"]

    def nbytes(self) -> int:
        """Bytes of all columns (what the page cache holds once every item was read)."""
        arrays = [self.durations, self.lang_ids, *self._data.values(), *self._off.values()]
        return sum(a.nbytes for a in arrays)

    def hours_by_lang(self) -> dict[str, float]:
        seconds = np.bincount(self.lang_ids, weights=self.durations, minlength=len(self.langs))
        return {lang: float(s) / 3600 for lang, s in zip(self.langs, seconds)}


def open_index(data_dir: str | Path, langs: Sequence[str], split: str, vocab: Vocab,
               kernels: Sequence[int] = MMS_CONV_KERNELS, strides: Sequence[int] = MMS_CONV_STRIDES,
               max_duration: float | None = None,
               build: bool = True) -> SpeechIndex:
    """The index of `split` for `langs`, built first if missing or stale (build=False: only open,
    for DDP ranks that wait while rank 0 builds)."""
    data_dir = Path(data_dir)
    key = index_key(data_dir, langs, split, kernels, strides, max_duration)
    folder = index_dir(data_dir, split, key)
    if build and not (folder / META_FILE).is_file():
        frames_of = lambda n: conv_frames(n, kernels, strides)  # noqa: E731
        with atomic_dir(folder) as tmp:
            build_index(tmp, data_dir, langs, split, vocab, frames_of, max_duration, key)
        _remove_stale(folder)
    return SpeechIndex(folder)


def _remove_stale(keep: Path) -> None:
    """Other indexes of the same split (an older manifest or vocabulary); ones open elsewhere stay
    readable until closed (unlinked files live on while mapped)."""
    split = keep.name.rsplit("-", 1)[0]
    for other in keep.parent.glob(f"{split}-*"):
        if other != keep and other.is_dir() and other.name.rsplit("-", 1)[0] == split:
            shutil.rmtree(other, ignore_errors=True)
