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
folders of the split are removed). The build (data/index_build.py) streams the manifests in chunks
into the files, so its memory does not grow with the corpus; it is written into a temp folder and
renamed (sshr_cli.io).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from sshr_cli.data.index_build import (INDEX_FORMAT, META_FILE, MMS_CONV_KERNELS,  # noqa: F401  re-exports
                                       MMS_CONV_STRIDES, STRING_COLUMNS, SkipReport, build_index, conv_frames,
                                       ctc_min_frames)
from sshr_cli.data.manifest import manifest_path, vocab_path
from sshr_cli.errors import DataError
from sshr_cli.io import atomic_dir, read_json
from sshr_cli.text.vocab import Vocab

INDEX_DIR = ".index"  # DATA/.index/, beside the language folders (dot-folders are sshr's own state)


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
        with atomic_dir(folder) as tmp:
            build_index(tmp, data_dir, langs, split, vocab, kernels, strides, max_duration, key)
        _remove_stale(folder)
    return SpeechIndex(folder)


def _remove_stale(keep: Path) -> None:
    """Other indexes of the same split (an older manifest or vocabulary); ones open elsewhere stay
    readable until closed (unlinked files live on while mapped)."""
    split = keep.name.rsplit("-", 1)[0]
    for other in keep.parent.glob(f"{split}-*"):
        if other != keep and other.is_dir() and other.name.rsplit("-", 1)[0] == split:
            shutil.rmtree(other, ignore_errors=True)
