"""`sshr prepare` streams: readers re-read their index files on each pass, durations live in an
on-disk cache looked up clip by clip; what that must not change (results, counts, re-runs)."""

from __future__ import annotations

from collections import Counter

import pytest

import sshr_cli.data.durations as durations_mod
from sshr_cli.data.commonvoice import commonvoice_source
from sshr_cli.data.durations import DurationCache, measure
from sshr_cli.data.manifest import load_manifest, manifest_path
from sshr_cli.data.prepare import WORK_DIR, PrepareOptions, prepare
from sshr_cli.data.source import MALFORMED_ROW, Reread
from sshr_cli.errors import DataError

from helpers_prepare import cv_row, make_cv_lang, write_tsv

ROWS = {"train": [(f"t{i}.wav", f"word {i % 3}", 1.0 + i / 10) for i in range(9)],
        "dev": [("d0.wav", "word one", 1.5)], "test": [("e0.wav", "word two", 1.5)]}


@pytest.fixture()
def cv(tmp_path):
    return make_cv_lang(tmp_path / "cv" / "en", ROWS)


def test_reader_holds_no_list_and_rereads_on_each_pass(cv):
    source = commonvoice_source(cv)
    train = next(s for s in source.splits if s.split == "train")
    assert isinstance(train.utterances, Reread)
    assert [u.id for u in train.utterances] == [f"t{i}" for i in range(9)]
    write_tsv(cv / "train.tsv", [cv_row("t0.wav", "new words"), "bad\trow"])
    assert [(u.id, u.raw_text) for u in train.utterances] == [("t0", "new words")]  # read afresh
    assert train.dropped == Counter()  # the counts are those of the reading the source was made from


def test_bad_file_fails_when_the_source_is_made(cv):
    (cv / "dev.tsv").write_bytes((cv / "dev.tsv").read_bytes() + b"x.wav\t\xff\xfe\n")
    with pytest.raises(DataError, match="not UTF-8"):
        commonvoice_source(cv)


def test_malformed_rows_counted_once_however_many_passes(cv, tmp_path):
    write_tsv(cv / "dev.tsv", [cv_row("d0.wav", "word one"), "only\ttwo", "x"])
    report = prepare(commonvoice_source(cv), PrepareOptions(tmp_path / "out", "chars", jobs=2)).report
    assert report["langs"]["en"]["dev"]["dropped"] == {MALFORMED_ROW: 2}
    assert report["langs"]["en"]["dev"]["kept"] == 1


def test_clip_deleted_after_a_run_is_missing_not_a_stale_cache_hit(cv, tmp_path):
    opts = PrepareOptions(tmp_path / "out", "chars", jobs=1)
    assert prepare(commonvoice_source(cv), opts).report["langs"]["en"]["train"]["kept"] == 9
    (cv / "clips" / "t3.wav").unlink()
    report = prepare(commonvoice_source(cv), opts).report["langs"]["en"]["train"]
    assert report["kept"] == 8 and report["dropped"] == {"missing_clip": 1}
    assert "t3" not in {r["id"] for r in load_manifest(manifest_path(tmp_path / "out", "en", "train"))}


def test_a_cache_file_that_is_not_a_database_is_rebuilt(cv, tmp_path):
    work = tmp_path / "out" / WORK_DIR
    work.mkdir(parents=True)
    (work / durations_mod.MEASURE_CACHE).write_bytes(b"{\"path\": \"torn json line\n" * 50)
    report = prepare(commonvoice_source(cv), PrepareOptions(tmp_path / "out", "chars", jobs=1)).report
    assert report["langs"]["en"]["train"]["kept"] == 9


def test_bounded_parallel_measuring_measures_every_clip_once(cv, tmp_path, monkeypatch):
    monkeypatch.setattr(durations_mod, "MEASURE_CHUNK", 2)  # 11 clips: 6 chunks, at most 2 in flight
    monkeypatch.setattr(durations_mod, "IN_FLIGHT", 1)
    paths = sorted((cv / "clips").glob("*.wav")) + [cv / "clips" / "absent.wav"]
    seen = []
    cache = DurationCache(tmp_path / "d.sqlite")
    errors = measure(paths, cache, jobs=2, progress=lambda stage, done, total: seen.append((done, total)),
                     total=len(paths))
    assert errors == set() and seen[-1] == (len(paths), len(paths))
    expected = {f"{n}": s for rows in ROWS.values() for n, _, s in rows}
    for path in paths[:-1]:
        assert cache.entry(str(path))["duration"] == pytest.approx(expected[path.name], abs=1e-3)
    assert cache.entry(str(paths[-1])) is None  # missing
    again = []
    measure(paths, cache, jobs=2, progress=lambda stage, done, total: again.append(done), total=len(paths))
    assert again == [len(paths)] * 2  # one chunk (the absent clip, re-checked), then the closing report
    cache.close()
