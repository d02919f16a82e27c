"""sshr_cli.runs: the run/checkpoint layout, checkpoint resolution, and the typed JSON reader."""

from __future__ import annotations

import pytest

from sshr_cli.errors import CheckpointError, DataError
from sshr_cli.data.manifest import prepared_units
from sshr_cli.runs import (BEST, CONFIG_FILE, LAST, TRAIN_SUMMARY_FILE, checkpoint_folder, read_json,
                           read_optional_json, recorded_units)


def _checkpoint(folder):
    folder.mkdir(parents=True)
    (folder / CONFIG_FILE).write_text("{}", encoding="utf-8")
    return folder


def test_a_run_folder_stands_for_its_best_then_its_last_checkpoint(tmp_path):
    run = tmp_path / "exp" / "run"
    _checkpoint(run / LAST)
    assert checkpoint_folder(run) == run / LAST
    _checkpoint(run / BEST)
    assert checkpoint_folder(run) == run / BEST


def test_a_checkpoint_folder_is_itself(tmp_path):
    folder = _checkpoint(tmp_path / "ckpt")
    assert checkpoint_folder(folder) == folder


@pytest.mark.parametrize("make, reason", [(False, "is not a folder"), (True, "holds no checkpoint")],
                         ids=["missing", "empty"])
def test_no_checkpoint_is_one_line_error(tmp_path, make, reason):
    folder = tmp_path / "nothing"
    if make:
        folder.mkdir()
    with pytest.raises(CheckpointError) as info:
        checkpoint_folder(folder)
    assert str(info.value).startswith(f"{folder} {reason}")  # the path, then why, not just any message naming it
    assert "\n" not in str(info.value)


def test_corrupt_json_is_a_typed_one_line_error_naming_the_file(tmp_path):
    path = tmp_path / "summary.json"
    path.write_text('{"step": 1,', encoding="utf-8")
    with pytest.raises(DataError, match="summary.json is not valid JSON") as info:
        read_json(path, DataError)
    assert "\n" not in str(info.value)
    with pytest.raises(CheckpointError, match="has no missing.json; expected a checkpoint"):
        read_json(tmp_path / "missing.json", hint="expected a checkpoint")
    with pytest.raises(DataError, match="summary.json"):
        read_optional_json(path)
    assert read_optional_json(tmp_path / "missing.json") == {}


def test_recorded_and_prepared_units(tmp_path):
    assert recorded_units(tmp_path) is None
    (tmp_path / TRAIN_SUMMARY_FILE).write_text('{"units": "chars"}', encoding="utf-8")
    assert recorded_units(tmp_path) == "chars"
    report = tmp_path / "prepare_report.json"
    with pytest.raises(DataError, match="run `sshr prepare ...` first"):
        prepared_units(tmp_path)
    report.write_text('{"units": "words"}', encoding="utf-8")
    with pytest.raises(DataError, match="units is 'words'"):
        prepared_units(tmp_path)
    report.write_text('{"units": "phonemes"}', encoding="utf-8")
    assert prepared_units(tmp_path) == "phonemes"
