"""Building the index in chunks (data/index_build.py) gives what a row-by-row reading gives:
labels through the vocabulary (character and multi-character units, unknown units), skip reasons
with their first ids, offsets across chunk boundaries, and bad lines named by their number."""

import re

import numpy as np
import pytest

from sshr_cli.data import index_build
from sshr_cli.data.index import conv_frames, ctc_min_frames, open_index
from sshr_cli.data.manifest import manifest_path, vocab_path
from sshr_cli.errors import DataError
from sshr_cli.io import write_jsonl
from sshr_cli.text import Vocab

KERNELS, STRIDES = (10, 3, 3), (5, 2, 2)  # 20 samples a frame: 0.1 s holds 79 frames


def corpus(n: int, seed: int = 0) -> list[dict]:
    """Rows of every kind: character units, phoneme-like multi-character units, an unknown unit,
    repeated labels, empty units, too long, too short for their labels, non-ASCII paths."""
    rng = np.random.default_rng(seed)
    units = ["a b | c", "aɪ t | ʃ aɪ", "a a a a", "", "z q | a", "b " * 40 + "b", "c"]
    rows = []
    for i in range(n):
        u = units[i % len(units)] if i % 11 else " ".join(rng.choice(list("abc|"), 5))
        duration = [0.05, 1.0, 2.5, 31.0][int(rng.integers(4))]
        rows.append({"id": f"u{i}", "audio_filepath": f"/clips/ü{i}.wav", "duration": duration, "text": f"w{i % 3} x",
                     "lang": "en", "units": u})
    return rows


def by_rows(rows: list[dict], vocab: Vocab, max_duration: float | None):
    """(kept rows with their labels, skip counts) read one row at a time: the reference."""
    kept, skipped = [], {}
    for r in rows:
        labels = vocab.encode(r["units"].split())
        if not labels:
            reason = "no target units"
        elif max_duration is not None and r["duration"] > max_duration:
            reason = f"longer than {max_duration:g} s"
        elif ctc_min_frames(labels) > conv_frames(round(r["duration"] * 16000), KERNELS, STRIDES):
            reason = "more labels than encoder frames"
        else:
            kept.append((r, labels))
            continue
        skipped[reason] = skipped.get(reason, 0) + 1
    return kept, skipped


@pytest.mark.parametrize("chunk_rows", [7, 65536])
def test_chunked_build_equals_a_row_by_row_reading(tmp_path, monkeypatch, chunk_rows):
    monkeypatch.setattr(index_build, "CHUNK_ROWS", chunk_rows)
    rows = corpus(200)
    write_jsonl(manifest_path(tmp_path, "en", "train"), rows)
    vocab = Vocab.build([list("abc|"), ["aɪ", "t", "ʃ"]])  # no "z" or "q": unknown units
    vocab.save(vocab_path(tmp_path))
    index = open_index(tmp_path, ["en"], "train", vocab, KERNELS, STRIDES, max_duration=30.0)
    kept, skipped = by_rows(rows, vocab, 30.0)
    assert len(index) == len(kept) and index.skipped.counts == skipped
    assert set(skipped) == {"no target units", "longer than 30 s", "more labels than encoder frames"}
    for i, (row, labels) in enumerate(kept):
        utt = index[i]
        assert (utt.id, utt.audio_path, utt.units, list(utt.labels)) == \
            (row["id"], row["audio_filepath"], row["units"], labels)
        assert utt.duration == pytest.approx(row["duration"])
    assert vocab.unk_id in index.labels(next(i for i, (r, _) in enumerate(kept) if "z" in r["units"]))
    first_empty = [r["id"] for r in rows if not r["units"]][:3]
    assert index.skipped.examples["no target units"] == first_empty


def test_a_bad_line_in_a_later_chunk_is_named_by_its_number(tmp_path, monkeypatch):
    monkeypatch.setattr(index_build, "CHUNK_ROWS", 4)
    rows = corpus(10)
    vocab = Vocab.build([list("abc|")])
    vocab.save(vocab_path(tmp_path))
    path = manifest_path(tmp_path, "en", "train")
    write_jsonl(path, rows)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    cases = [('{"id": "x", \n', r"train.jsonl:7: not JSON"),  # a torn line
             ("[1, 2]\n", r"train.jsonl:7: a JSON list, expected an object"),
             ('{"id": "a"}, {"id": "b"}\n', r"train.jsonl:7: not JSON"),  # two objects on one line
             (lines[6].replace('"duration": ', '"duration": "long", "x": '), r'train.jsonl:7: duration "long" is not a number'),
             (lines[6].replace('"units": ', '"units": 3, "x": '), r"train.jsonl:7: units 3 is not a string")]
    path.write_text("".join(lines[:6] + lines[7:]), encoding="utf-8")
    without = len(open_index(tmp_path, ["en"], "train", vocab))  # the same file without line 7
    for bad, message in cases:  # training data skips and counts a bad row (issue 18), naming its line
        path.write_text("".join(lines[:6] + [bad] + lines[7:]), encoding="utf-8")
        index = open_index(tmp_path, ["en"], "train", vocab)
        assert index.skipped.counts[index_build.MALFORMED] == 1
        assert re.match(message, index.skipped.examples[index_build.MALFORMED][0])
        assert len(index) == without, bad


def test_blank_lines_are_skipped_and_do_not_shift_line_numbers(tmp_path, monkeypatch):
    monkeypatch.setattr(index_build, "CHUNK_ROWS", 3)
    rows = corpus(5)
    vocab = Vocab.build([list("abc|"), ["aɪ", "t", "ʃ"]])
    vocab.save(vocab_path(tmp_path))
    path = manifest_path(tmp_path, "en", "train")
    write_jsonl(path, rows)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:2] + ["\n", "  \n"] + lines[2:]), encoding="utf-8")
    assert len(open_index(tmp_path, ["en"], "train", vocab, KERNELS, STRIDES)) == len(by_rows(rows, vocab, None)[0])
    path.write_text("".join(lines[:2] + ["\n"] + lines[2:4] + ['{"id": 1}\n']), encoding="utf-8")
    examples = open_index(tmp_path, ["en"], "train", vocab).skipped.examples[index_build.MALFORMED]
    assert re.match(r"train.jsonl:6: missing field\(s\) audio_filepath", examples[0])
