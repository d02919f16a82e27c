"""The memory-mapped data index: round trip, rebuild on change, and no per-worker copy when forked."""

import multiprocessing as mp
import os
import pickle

import numpy as np
import pytest

from helpers_train import fake_manifest_rows
from sshr_cli.data.dataset import SpeechDataset
from sshr_cli.data.index import INDEX_DIR, open_index
from sshr_cli.data.manifest import manifest_path, vocab_path
from sshr_cli.errors import DataError
from sshr_cli.io import write_jsonl
from sshr_cli.text import Vocab


def write_data(root, rows_by_lang):
    units = []
    for lang, rows in rows_by_lang.items():
        write_jsonl(manifest_path(root, lang, "train"), rows)
        units += [r["units"].split() for r in rows]
    vocab = Vocab.build(units)
    vocab.save(vocab_path(root))
    return vocab


def rows(lang, n, units="a b | c"):
    out = fake_manifest_rows([1.0 + i / 10 for i in range(n)], lang)
    for i, r in enumerate(out):
        r.update(units=units, text=f"w{i % 2} common", audio_filepath=f"/clips/{lang}/é{i}.wav")
    return out


def test_every_column_round_trips(tmp_path):
    data = {"en": rows("en", 3), "de": rows("de", 2, units="c c | a")}
    vocab = write_data(tmp_path, data)
    index = open_index(tmp_path, ["en", "de"], "train", vocab)
    expected = [(r, lang_id) for lang_id, lang in enumerate(["en", "de"]) for r in data[lang]]
    assert len(index) == 5
    for i, (row, lang_id) in enumerate(expected):
        utt = index[i]
        assert (utt.id, utt.audio_path, utt.lang, utt.lang_id, utt.units) == \
            (row["id"], row["audio_filepath"], row["lang"], lang_id, row["units"])
        assert utt.duration == pytest.approx(row["duration"])
        assert list(utt.labels) == vocab.encode(row["units"].split())
    assert index.hours_by_lang() == pytest.approx({"en": 3.3 / 3600, "de": 2.1 / 3600})
    assert index.unigrams == ["common", "w0", "w1"]
    assert index.durations.dtype == np.float32 and not index.durations.flags.owndata  # a view of the map
    assert pickle.loads(pickle.dumps(index))[4] == index[4]  # spawned workers map the files again


def test_the_index_is_reused_and_rebuilt_when_a_manifest_or_the_vocab_changes(tmp_path):
    vocab = write_data(tmp_path, {"en": rows("en", 3)})
    first = open_index(tmp_path, ["en"], "train", vocab)
    assert open_index(tmp_path, ["en"], "train", vocab).folder == first.folder  # cached
    write_jsonl(manifest_path(tmp_path, "en", "train"), rows("en", 4))
    second = open_index(tmp_path, ["en"], "train", vocab)
    assert second.folder != first.folder and len(second) == 4
    assert not first.folder.exists()  # the stale one is removed
    vocab.save(vocab_path(tmp_path))  # rewritten: a new mtime
    os.utime(vocab_path(tmp_path), ns=(1, 1))
    assert open_index(tmp_path, ["en"], "train", vocab).folder != second.folder
    assert [p.name.split("-")[0] for p in (tmp_path / INDEX_DIR).iterdir()] == ["train"]


def test_a_row_without_units_is_a_one_line_error(tmp_path):
    bad = rows("en", 2)
    del bad[1]["units"]
    vocab = write_data(tmp_path, {"en": rows("en", 1)})
    write_jsonl(manifest_path(tmp_path, "en", "train"), bad)
    with pytest.raises(DataError, match=r"train.jsonl:2: missing field\(s\) units; re-run `sshr prepare`"):
        open_index(tmp_path, ["en"], "train", vocab)
    assert not any((tmp_path / INDEX_DIR).glob("train-*"))  # nothing half-built is left


def _uss_kib() -> int:
    """Private (unshared) memory of this process, from /proc (USS)."""
    fields = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1])
    return fields["Private_Clean"] + fields["Private_Dirty"]


def _touch_every_item(dataset, queue):
    before = _uss_kib()
    total = 0
    for i in range(len(dataset)):
        total += int(dataset.index.labels(i).sum()) + len(dataset.index.audio_path(i)) + int(dataset.index.lang_ids[i])
    queue.put((before, _uss_kib(), total))


@pytest.mark.slow
def test_a_forked_worker_reads_every_item_without_copying_the_index(tmp_path):
    """A list of Python objects gets copied into every forked worker as it is read (reference
    counts dirty the pages); the memory-mapped columns stay shared. The parent reads the columns
    once first, as a sibling worker would have, so their pages are shared, not the child's own."""
    n, units = 60_000, " ".join("abcdefghij" * 6)  # 60 labels an utterance: ~15 MiB of labels
    vocab = write_data(tmp_path, {"en": rows("en", n, units)})
    index = open_index(tmp_path, ["en"], "train", vocab)
    assert index.nbytes() > 20 * 2**20
    dataset = SpeechDataset(index)
    expected = sum(int(index.labels(i).sum()) + len(index.audio_path(i)) + int(index.lang_ids[i])
                   for i in range(len(index)))
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_touch_every_item, args=(dataset, queue))
    child.start()
    before, after, total = queue.get(timeout=600)
    child.join()
    assert total == expected
    assert (after - before) < 8 * 1024, f"USS grew by {(after - before) / 1024:.1f} MiB"  # the index: > 20 MiB
