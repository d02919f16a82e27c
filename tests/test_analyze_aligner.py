"""`sshr analyze` picks its frame labelling: --align-model, else the latest run with the data's units, else uniform."""

import json

from sshr_cli.analyze.aligner_choice import pick_align_model
from sshr_cli.workspace import load_workspace


def _data(root, units):
    (root / "data").mkdir()
    (root / "data" / "prepare_report.json").write_text(json.dumps({"units": units}))
    return root / "data"


def _run(root, units):
    best = root / "exp" / "run" / "best"
    best.mkdir(parents=True)
    (best / "config.json").write_text("{}")
    (best / "train_summary.json").write_text(json.dumps({"units": units}))
    load_workspace().record_run(root / "exp" / "run")
    return root / "exp" / "run"


def test_explicit_align_model_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model, note = pick_align_model("some/ckpt", _data(tmp_path, "phonemes"))
    assert model == "some/ckpt" and "forced alignment" in note


def test_no_run_falls_back_to_uniform_with_a_reason(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model, note = pick_align_model(None, _data(tmp_path, "phonemes"))
    assert model is None and "uniform" in note and "no run in this workspace" in note


def test_latest_run_with_the_same_units_aligns(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = _data(tmp_path, "phonemes")
    run = _run(tmp_path, "phonemes")
    model, note = pick_align_model(None, data)
    assert model is not None and model.endswith("exp/run") and "same units: phonemes" in note


def test_latest_run_with_other_units_is_not_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = _data(tmp_path, "phonemes")
    _run(tmp_path, "chars")
    model, note = pick_align_model(None, data)
    assert model is None and "trained on chars units, the data has phonemes" in note
