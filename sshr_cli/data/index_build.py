"""Building the training index that data/index.py reads: manifests -> flat column files.

    build_index(folder, data_dir, langs, "train", vocab, kernels, strides, max_duration, key)

The manifests stream through in chunks of CHUNK_ROWS rows, so memory is one chunk whatever the
corpus size. Each chunk costs a handful of passes that run at C speed: one `json.loads` over the
whole chunk, one `split` of all its units, one dict lookup per unit (`map`), and numpy for the
rest (label offsets, CTC frame checks, skip reasons). A per-row Python loop cost ~40 us a row
(a million rows: minutes); this costs a few.

Bad input is still reported per line: when a chunk does not parse or a field is missing or of the
wrong type, the chunk is checked again row by row to name the first bad line.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from sshr_cli.constants import SAMPLE_RATE_HZ
from sshr_cli.data.manifest import check_row, manifest_path
from sshr_cli.errors import DataError
from sshr_cli.io import write_json
from sshr_cli.text.vocab import Vocab

INDEX_FORMAT = 1  # bump when the layout changes: old folders are then rebuilt
STRING_COLUMNS = ("id", "audio_path", "units")
META_FILE = "meta.json"
SKIP_EXAMPLES = 3  # ids kept per skip reason
CHUNK_ROWS = 65536  # manifest rows parsed and written at a time (~20 MiB of Python objects)
ROW_MARK = "\x00"  # ends each row in a chunk's joined units (split() tokens hold no whitespace, JSON text no NUL)
MARK_ID = -1
MMS_CONV_KERNELS = (10, 3, 3, 3, 3, 2, 2)  # wav2vec2 conv feature encoder: 320 samples per frame
MMS_CONV_STRIDES = (5, 2, 2, 2, 2, 2, 2)


def conv_frames(num_samples, kernels: Sequence[int] = MMS_CONV_KERNELS, strides: Sequence[int] = MMS_CONV_STRIDES):
    """Encoder frames for `num_samples` of audio (the conv stack, no padding); an int, or an
    int64 array for an array."""
    n = num_samples
    for k, s in zip(kernels, strides):
        n = (n - k) // s + 1
    return np.maximum(n, 0) if isinstance(n, np.ndarray) else max(n, 0)


def ctc_min_frames(labels: Sequence[int]) -> int:
    """Frames CTC needs for `labels`: one per label plus a blank between each repeated pair."""
    return len(labels) + sum(a == b for a, b in zip(labels, labels[1:]))


class SkipReport:
    """reason -> count, and a few example ids per reason."""

    def __init__(self, counts: dict[str, int] | None = None, examples: dict[str, list[str]] | None = None):
        self.counts, self.examples = dict(counts or {}), dict(examples or {})

    def add(self, reason: str, n: int, utt_ids: Sequence[str]) -> None:
        """`n` more utterances skipped for `reason`; `utt_ids`: the first few of them."""
        if n == 0:
            return
        self.counts[reason] = self.counts.get(reason, 0) + n
        ids = self.examples.setdefault(reason, [])
        ids += list(utt_ids[: SKIP_EXAMPLES - len(ids)])

    def lines(self, split: str) -> list[str]:
        return [f"{split}: skipped {n} utterance(s): {reason} (e.g. {', '.join(self.examples[reason])})"
                for reason, n in sorted(self.counts.items())]


# ---------------------------------------------------------------- reading a chunk
class _Lookup(dict):
    """unit -> label id; unknown units -> <unk>, the row mark -> MARK_ID. `table`: the same for
    one-character units, indexed by code point (its last slot: <unk> for every larger one)."""

    def __init__(self, vocab: Vocab):
        super().__init__(vocab.mapping())
        self[ROW_MARK] = MARK_ID
        self.unk = vocab.unk_id
        chars = {ord(u): i for u, i in self.items() if len(u) == 1}
        self.table = np.full(max(chars) + 2, self.unk, np.int32)
        self.table[list(chars)] = list(chars.values())

    def __missing__(self, unit: str) -> int:
        return self.unk

    def encode(self, marked: str) -> np.ndarray:
        """Label ids of the space-separated units in `marked`, int32. One-character units in single
        spaces (character targets) go through `table` in numpy; anything else one dict lookup a unit."""
        points = np.frombuffer(marked.encode("utf-32-le"), np.uint32)  # [C]
        if len(points) % 2 and not (points[1::2] != ord(" ")).any() and not (points[0::2] == ord(" ")).any():
            return self.table[np.minimum(points[0::2], len(self.table) - 1)]  # every other character is a unit
        return np.fromiter(map(self.__getitem__, marked.split()), np.int32)


class Chunk:
    """The columns of up to CHUNK_ROWS manifest rows, and their labels."""

    def __init__(self, rows: list[dict], lookup: _Lookup):
        self.ids = [str(r["id"]) for r in rows]
        self.paths = [str(r["audio_filepath"]) for r in rows]
        self.texts = [str(r["text"]) for r in rows]
        self.durations = np.fromiter(map(float, (r["duration"] for r in rows)), np.float64, len(rows))  # [n] s
        units = [r["units"] for r in rows]
        self.units = units
        marked = f" {ROW_MARK} ".join(units) + f" {ROW_MARK}"  # TypeError for a units value that is no string
        ids = lookup.encode(marked)  # every unit, a mark after each row
        marks = np.flatnonzero(ids == MARK_ID)  # [n]
        if len(marks) != len(rows):
            raise ValueError("a units value holds a NUL character")
        self.counts = np.diff(marks, prepend=-1) - 1  # [n] labels per row
        self.labels = np.delete(ids, marks)  # [L] int32

    def __len__(self) -> int:
        return len(self.ids)

    def min_frames(self) -> np.ndarray:
        """ctc_min_frames of every row, int64 [n]: labels plus repeated neighbours."""
        row_of = np.repeat(np.arange(len(self)), self.counts)  # [L]
        repeated = (self.labels[1:] == self.labels[:-1]) & (row_of[1:] == row_of[:-1])  # [L-1]
        return self.counts + np.bincount(row_of[1:][repeated], minlength=len(self))


MALFORMED = "malformed manifest row"  # the skip reason of a row that check_row refuses


def _chunks(path: Path, lookup: _Lookup) -> Iterator[tuple[Chunk | None, list[str]]]:
    """(the chunk's usable rows, or None; "file:line: what is wrong" for each row left out)."""
    if not path.is_file():
        raise DataError(f"manifest not found: {path} (run `sshr prepare` first, or pass the right --data)")
    with open(path, encoding="utf-8") as f:
        first = 1
        while lines := list(itertools.islice(f, CHUNK_ROWS)):
            yield _chunk(path, lines, first, lookup)
            first += len(lines)


def _chunk(path: Path, lines: list[str], first: int, lookup: _Lookup) -> tuple[Chunk | None, list[str]]:
    rows = [line for line in lines if not line.isspace()]
    try:
        parsed = json.loads("[" + ",".join(rows) + "]")  # one call for the chunk
        if len(parsed) == len(rows) and all(check_row(r) is None and _units_problem(r) is None for r in parsed):
            return Chunk(parsed, lookup), []
    except (ValueError, KeyError, TypeError):
        pass
    return _checked(path, lines, first, lookup)


def _checked(path: Path, lines: list[str], first: int, lookup: _Lookup) -> tuple[Chunk | None, list[str]]:
    """Row by row: the usable rows as a chunk, and each bad row named by file and line (training data
    skips and counts a bad row, as prepare does). A row without `units` is a one-line DataError: the
    whole folder was prepared by an older sshr."""
    good, bad = [], []
    for n, line in enumerate(lines, first):
        if line.isspace():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            bad.append(f"{path.name}:{n}: not JSON ({exc})")
            continue
        problem = check_row(row)
        if problem is None and "units" not in row:
            raise DataError(f"{path}:{n}: missing field(s) units; re-run `sshr prepare` with this version")
        problem = problem or _units_problem(row)
        (bad.append(f"{path.name}:{n}: {problem}") if problem else good.append(row))
    return (Chunk(good, lookup) if good else None), bad


def _units_problem(row: dict) -> str | None:
    units = row.get("units")
    if not isinstance(units, str) or ROW_MARK in units:
        return f"units must be a string of space-separated units, got {json.dumps(units)[:40]}"
    return None


# ---------------------------------------------------------------- writing
class _Writer:
    """Appends chunks to the column files in `folder` (offsets as cumulative ends after a 0)."""

    def __init__(self, folder: Path):
        self.folder, self.n, self.ends = folder, 0, {c: 0 for c in ("labels", *STRING_COLUMNS)}
        self.files = {name: open(folder / name, "wb") for name in
                      ("durations.bin", "lang_ids.bin", *(f"{c}.{x}" for c in self.ends for x in ("bin", "off")))}
        for column in self.ends:
            np.zeros(1, np.int64).tofile(self.files[f"{column}.off"])
        self.words: Counter = Counter()

    def add(self, chunk: Chunk, keep: np.ndarray, lang_id: int) -> None:
        kept = int(keep.sum())
        chunk.durations[keep].astype(np.float32).tofile(self.files["durations.bin"])
        np.full(kept, lang_id, np.int16).tofile(self.files["lang_ids.bin"])
        counts = chunk.counts[keep]
        self._put("labels", chunk.labels[np.repeat(keep, chunk.counts)].astype(np.int32).tobytes(), counts)
        for column, values in zip(STRING_COLUMNS, (chunk.ids, chunk.paths, chunk.units)):
            self._put_strings(column, list(itertools.compress(values, keep)))
        self.words.update(" ".join(itertools.compress(chunk.texts, keep)).split())
        self.n += kept

    def _put_strings(self, column: str, values: list[str]) -> None:
        joined = "".join(values)
        data = joined.encode("utf-8")
        if len(data) == len(joined):  # ASCII: characters are bytes
            sizes = np.fromiter(map(len, values), np.int64, len(values))
        else:
            encoded = [v.encode("utf-8") for v in values]
            sizes = np.fromiter(map(len, encoded), np.int64, len(values))
        self._put(column, data, sizes)

    def _put(self, column: str, data: bytes, sizes: np.ndarray) -> None:
        self.files[f"{column}.bin"].write(data)
        ends = self.ends[column] + np.cumsum(sizes, dtype=np.int64)
        ends.tofile(self.files[f"{column}.off"])
        self.ends[column] = int(ends[-1]) if len(ends) else self.ends[column]

    def close(self) -> None:
        for f in self.files.values():
            f.close()


def skip_masks(chunk: Chunk, kernels: Sequence[int], strides: Sequence[int],
               max_duration: float | None) -> dict[str, np.ndarray]:
    """reason -> bool [n]: no units; too long (train only); more labels than the encoder has frames.
    Each row gets its first reason only."""
    masks = {"no target units": chunk.counts == 0}
    if max_duration is not None:
        masks[f"longer than {max_duration:g} s"] = ~masks["no target units"] & (chunk.durations > max_duration)
    frames = conv_frames(np.round(chunk.durations * SAMPLE_RATE_HZ).astype(np.int64), kernels, strides)
    masks["more labels than encoder frames"] = ~np.logical_or.reduce(list(masks.values())) & (chunk.min_frames() > frames)
    return masks


def build_index(folder: Path, data_dir: Path, langs: Sequence[str], split: str, vocab: Vocab,
                kernels: Sequence[int], strides: Sequence[int], max_duration: float | None, key: str) -> None:
    """Write the index of `split` into `folder` (see data/index.py for the layout)."""
    writer, skipped, lookup = _Writer(folder), SkipReport(), _Lookup(vocab)
    try:
        for lang_id, lang in enumerate(langs):
            for chunk, malformed in _chunks(manifest_path(data_dir, lang, split), lookup):
                skipped.add(MALFORMED, len(malformed), malformed[:SKIP_EXAMPLES])
                if chunk is None:
                    continue
                masks = skip_masks(chunk, kernels, strides, max_duration)
                for reason, mask in masks.items():
                    rows = np.flatnonzero(mask)
                    skipped.add(reason, len(rows), [chunk.ids[i] for i in rows[:SKIP_EXAMPLES]])
                writer.add(chunk, ~np.logical_or.reduce(list(masks.values())), lang_id)
    finally:
        writer.close()
    unigrams = [w for w, _ in sorted(writer.words.items(), key=lambda kv: (-kv[1], kv[0]))]
    write_json(folder / META_FILE, {"format": INDEX_FORMAT, "key": key, "split": split, "langs": list(langs),
                                    "n": writer.n, "labels": writer.ends["labels"], "skipped": skipped.counts,
                                    "skip_examples": skipped.examples, "unigrams": unigrams}, indent=None)
