"""The training loop on the tiny recipe: learning, resume, NaN guard, checkpoints, CLI defaults."""

import dataclasses
import json

import pytest
import torch
from typer.testing import CliRunner

from helpers_train import write_prepared
from sshr_cli.cli import app
from sshr_cli.config import load_recipe
from sshr_cli.errors import ConfigError
from sshr_cli.io import read_jsonl
from sshr_cli.train import checkpoint as ckpt
from sshr_cli.train.loop import FinetuneRequest, TrainingError, finetune

runner = CliRunner()
# Small and quick: short batches, one eval in the middle and one at the end, a row per update.
QUICK = ["train.max_steps=8", "train.eval_every=4", "train.log_every=1", "data.max_batch_seconds=8"]


@pytest.fixture(scope="module")
def prepared(cv_corpus, tmp_path_factory):
    return write_prepared(cv_corpus, tmp_path_factory.mktemp("prepared"))


def request(data, out, *overrides, resume=None):
    return FinetuneRequest(load_recipe("synthetic/tiny", [*QUICK, *overrides]), data, out, "unused", resume,
                           show_progress=False)


def train_losses(out):
    return {r["step"]: r["loss"] for r in read_jsonl(out / "metrics.jsonl") if r["split"] == "train"}


def test_resume_after_a_crash_gives_the_same_losses(prepared, tmp_path):
    """Dropout and time masking are on, so this also checks that RNG states come back."""
    noisy = ("model.final_dropout=0.1", "model.mask_time_prob=0.3", "model.mask_time_length=2")
    whole = finetune(request(prepared, tmp_path / "whole", *noisy))
    assert whole.step == 8

    def crash(step):
        if step == 6:  # after the checkpoint at update 4
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        finetune(request(prepared, tmp_path / "cut", *noisy), on_step=crash)
    assert json.loads((tmp_path / "cut/last/train_summary.json").read_text())["step"] == 4
    resumed = finetune(request(prepared, tmp_path / "cut", *noisy, resume=True))
    assert resumed.step == 8
    a, b = train_losses(tmp_path / "whole"), train_losses(tmp_path / "cut")
    assert sorted(b) == list(range(1, 9))  # rows 5-6 of the crashed run were replaced, not duplicated
    assert [b[s] for s in range(5, 9)] == pytest.approx([a[s] for s in range(5, 9)], rel=1e-5)
    again = finetune(request(prepared, tmp_path / "cut", *noisy))  # a finished run is left alone
    assert again.stopped == "already_done"


def test_max_minutes_stops_saves_and_resumes_with_another_limit(prepared, tmp_path):
    cut = finetune(request(prepared, tmp_path / "run", "train.max_minutes=0.0001"))
    assert cut.stopped == "time_limit" and cut.step == 1  # the limit is checked after each update
    assert json.loads((tmp_path / "run/last/train_summary.json").read_text())["step"] == 1
    rest = finetune(request(prepared, tmp_path / "run", resume=True))  # no limit this time
    assert rest.stopped == "max_steps" and rest.step == 8


def test_a_different_recipe_does_not_resume_silently(prepared, tmp_path):
    finetune(request(prepared, tmp_path / "run", "train.max_steps=2", "train.eval_every=2"))
    with pytest.raises(ConfigError, match=r"trained with a different recipe \(optim\.lr_heads: \S+ -> 0\.5\)"):
        finetune(request(prepared, tmp_path / "run", "train.max_steps=2", "train.eval_every=2",
                         "optim.lr_heads=0.5"))


def nan_after(monkeypatch, bad_calls):
    from sshr_cli.model.sshr import SSHRForCTC

    forward, calls = SSHRForCTC.forward, {"n": 0}

    def poisoned(self, *args, **kwargs):
        out = forward(self, *args, **kwargs)
        calls["n"] += 1
        if self.training and calls["n"] in bad_calls:
            out = dataclasses.replace(out, loss=out.loss * float("nan"))
        return out

    monkeypatch.setattr(SSHRForCTC, "forward", poisoned)


def test_a_nan_loss_skips_the_step_and_training_goes_on(prepared, tmp_path, monkeypatch):
    nan_after(monkeypatch, bad_calls={2})
    result = finetune(request(prepared, tmp_path / "run", "train.max_steps=3", "train.eval_every=3"))
    assert result.step == 3 and result.bad_steps == 1
    assert all(torch.isfinite(p).all() for p in _weights(tmp_path / "run/last").values())


def test_k_consecutive_nan_losses_stop_the_run_in_one_line(prepared, tmp_path, monkeypatch):
    nan_after(monkeypatch, bad_calls=set(range(2, 100)))
    with pytest.raises(TrainingError, match="3 consecutive updates had a NaN/inf loss") as info:
        finetune(request(prepared, tmp_path / "run", "train.max_bad_steps=3"))
    assert "\n" not in str(info.value)


def _weights(folder):
    from safetensors.torch import load_file

    return load_file(folder / "model.safetensors")


class _Model:
    """Stands in for SSHRForCTC.write_files when only the folder logic is under test."""

    def __init__(self, fail=False):
        self.fail = fail

    def write_files(self, folder, extra=None):
        (folder / "config.json").write_text(json.dumps({"architectures": ["SSHRModelForCTC"], "sshr": {"arch": "sshr"}}))
        (folder / "model.safetensors").write_text("weights")
        for name, text in (extra or {}).items():
            (folder / name).write_text(text if isinstance(text, str) else json.dumps(text))
        if self.fail:
            raise KeyboardInterrupt  # killed mid-save


def test_a_save_that_dies_midway_leaves_the_previous_checkpoint_whole(tmp_path):
    last = tmp_path / "last"
    ckpt.save_checkpoint(last, _Model(), "train: {}\n", ["the", "a"], {"step": 1})
    with pytest.raises(KeyboardInterrupt):
        ckpt.save_checkpoint(last, _Model(fail=True), "train: {}\n", ["x"], {"step": 2})
    assert torch.load(last / ckpt.TRAINER_STATE)["step"] == 1
    assert (last / ckpt.UNIGRAMS).read_text() == "the\na\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no half-written folder left
    best = ckpt.promote_to_best(last, tmp_path / "best")
    assert (best / "model.safetensors").is_file() and not (best / ckpt.TRAINER_STATE).exists()


def test_stale_temp_folders_from_a_kill_are_removed(tmp_path):
    (tmp_path / ".last.abc.tmp").mkdir()
    (tmp_path / ".last.old").mkdir()
    (tmp_path / "last").mkdir()
    (tmp_path / ".cache").mkdir()  # a hidden folder that is no temp of ours stays
    removed = ckpt.remove_stale_temps(tmp_path)
    assert sorted(p.name for p in removed) == [".last.abc.tmp", ".last.old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cache", "last"]  # the temps are gone from disk


def test_rng_state_round_trips_through_a_weights_only_file(tmp_path):
    import random

    import numpy as np

    torch.save(ckpt.rng_state(), tmp_path / "s.pt")
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    ckpt.set_rng_state(torch.load(tmp_path / "s.pt", weights_only=True))
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


def test_unigrams_are_most_frequent_first():
    assert ckpt.unigram_list(["b a", "a c", "a b"]) == ["a", "b", "c"]


# ---------------------------------------------------------------- bare `sshr finetune`
def test_bare_finetune_picks_the_recipe_for_the_units_and_names_the_run(prepared, tmp_path, monkeypatch):
    from sshr_cli.model.tiny import save_tiny_encoder
    from sshr_cli.train.plan import plan_finetune, run_name
    from sshr_cli.workspace import load_workspace

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").symlink_to(prepared)
    encoder = save_tiny_encoder(tmp_path / "enc")
    plan = plan_finetune(load_workspace(), model=str(encoder))
    assert plan.recipe_path.as_posix().endswith("recipes/mlsuperb/sshr.yaml")  # chars -> ML-SUPERB recipe
    assert plan.request.out_dir.parent == tmp_path / "exp"
    assert plan.run_name.startswith("mlsuperb-sshr_de-en_")
    if not torch.cuda.is_available():
        assert any("recipes/synthetic/tiny.yaml" in n for n in plan.notes)
    assert run_name(plan.recipe_path, ["en"]).startswith("mlsuperb-sshr_en_")


def test_bare_finetune_offline_without_the_model_is_one_line(prepared, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    (tmp_path / "data").symlink_to(prepared)
    result = runner.invoke(app, ["finetune"])
    assert result.exit_code != 0
    assert "facebook/mms-300m" in result.output and "--model PATH" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_finetune_without_prepared_data_says_what_to_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["finetune"])
    assert result.exit_code != 0 and "sshr prepare" in result.output


@pytest.mark.slow
def test_finetune_cli_on_the_tiny_recipe_learns_and_reloads_for_decoding(prepared, tmp_path, monkeypatch):
    """Checkpoints are written, the dev loss falls, and load_recognizer decodes with the run folder."""
    from sshr_cli.audio import load_audio
    from sshr_cli.hub import load_recognizer
    from sshr_cli.workspace import load_workspace

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "exp/tiny"
    result = runner.invoke(app, ["finetune", "--config", "synthetic/tiny", "--data", str(prepared),
                                 "--out", str(out), "--no-progress", "--max-steps", "40",
                                 "--set", "train.eval_every=20"])
    assert result.exit_code == 0, result.output
    dev = [r for r in read_jsonl(out / "metrics.jsonl") if r["split"] == "dev"]
    assert dev[-1]["loss"] < dev[0]["loss"]
    # 40 updates on 16 utterances stay in CTC's blank phase; tests/test_train_learns.py trains long
    # enough for the dev PER itself to fall.
    assert 0.0 <= dev[-1]["error_rate"] <= 1.0
    assert set(dev[-1]["by_lang"]) == {"de", "en"} and dev[-1]["metric"] == "cer"
    for name in ("best", "last"):
        assert (out / name / "config.json").is_file() and (out / name / ckpt.UNIGRAMS).is_file()
    assert (out / "curves.png").stat().st_size > 0 and list((out / "tb").iterdir())
    rec = load_recognizer(out)
    row = read_jsonl(prepared / "en/dev.jsonl")[0]
    decoded = rec([load_audio(row["audio_filepath"])])
    assert decoded.log_probs.shape[-1] == len(rec.vocab) and rec.languages == ("de", "en")
    assert load_workspace(tmp_path).latest_run() == out


def test_model_flag_beats_the_recipes_encoder(prepared, tmp_path, monkeypatch):
    """The tiny recipe says `encoder: tiny`; `--model DIR` must still train on DIR (and record it)."""
    from sshr_cli.model.tiny import save_tiny_encoder
    from sshr_cli.train.plan import plan_finetune
    from sshr_cli.workspace import load_workspace

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").symlink_to(prepared)
    encoder = save_tiny_encoder(tmp_path / "wide", hidden_size=48, num_attention_heads=2)
    plan = plan_finetune(load_workspace(), config="synthetic/tiny", model=str(encoder))
    assert plan.request.recipe.model.encoder == str(encoder)
    result = finetune(dataclasses.replace(plan.request, recipe=load_recipe(
        "synthetic/tiny", [*QUICK, "train.max_steps=1", f"model.encoder={encoder}"]), out_dir=tmp_path / "run"))
    assert json.loads((result.out_dir / "best" / "config.json").read_text())["encoder"]["hidden_size"] == 48
