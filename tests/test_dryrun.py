"""`sshr finetune --dry-run`: the plan of a run, with nothing trained, loaded or written."""

import pytest
from typer.testing import CliRunner

from helpers_train import write_prepared
from sshr_cli.cli import app
from sshr_cli.config import load_recipe
from sshr_cli.data.dataset import DurationBatchSampler
from sshr_cli.data.index import open_index
from sshr_cli.model.tiny import FILTERBANK_FRONT_END
from sshr_cli.text import Vocab
from sshr_cli.train import setup
from sshr_cli.train.dryrun import dry_run
from sshr_cli.train.request import FinetuneRequest

runner = CliRunner()


@pytest.fixture(scope="module")
def prepared(cv_corpus, tmp_path_factory):
    return write_prepared(cv_corpus, tmp_path_factory.mktemp("prepared"))


def test_dry_run_prints_the_plan_and_trains_loads_and_writes_nothing(prepared, tmp_path, monkeypatch):
    def no_model(*args, **kwargs):
        raise AssertionError("--dry-run built a model")

    monkeypatch.setattr(setup, "build_model", no_model)
    monkeypatch.setattr(setup, "build_optim", no_model)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run"
    result = runner.invoke(app, ["finetune", "--config", "synthetic/tiny", "--data", str(prepared), "--out", str(out),
                                 "--max-steps", "30", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "batches per epoch and rank (1 rank(s)), padding" in result.output
    assert "train.max_steps=30" in result.output and "epoch(s)" in result.output
    assert "en " in result.output and " h" in result.output and "MiB memory-mapped" in result.output
    assert not out.exists()  # no run folder, no checkpoint, no tiny encoder


def test_dry_run_figures_are_the_ones_training_would_use(prepared):
    recipe = load_recipe("synthetic/tiny", ["train.max_steps=10"])
    report = dry_run(FinetuneRequest(recipe, prepared, prepared / "unused", "unused"), world_size=2)
    vocab = Vocab.load(prepared / "vocab.json")
    index = open_index(prepared, ["de", "en"], "train", vocab, tuple(FILTERBANK_FRONT_END["conv_kernel"]),
                       tuple(FILTERBANK_FRONT_END["conv_stride"]), recipe.data.max_train_duration)
    sampler = DurationBatchSampler(index.durations, recipe.data.max_batch_seconds, recipe.data.max_batch_size,
                                   seed=recipe.train.seed, jitter=recipe.data.duration_jitter, rank=1, world_size=2)
    assert report.train_utterances == len(index)
    assert report.batches_per_rank == len(sampler) == len(sampler.rank_batches(0))
    assert report.epochs == pytest.approx(10 / report.batches_per_rank)
    assert sum(report.train_hours.values()) == pytest.approx(float(index.durations.sum()) / 3600, rel=1e-5)


def test_dry_run_imports_neither_torch_nor_transformers(prepared, tmp_path):
    """A fresh `python -m sshr_cli finetune --dry-run` process: the plan costs no torch import
    (about 1 GiB and seconds), whatever the encoder (here an MMS-shaped config.json on disk)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    encoder = tmp_path / "encoder"
    encoder.mkdir()
    (encoder / "config.json").write_text(json.dumps({"conv_kernel": [10, 3, 3, 3, 3, 2, 2],
                                                     "conv_stride": [5, 2, 2, 2, 2, 2, 2]}))
    code = ("import runpy, sys\n"
            "sys.argv = ['sshr', 'finetune', '--config', 'commonvoice/sshr', '--model', sys.argv[1], '--data', "
            "sys.argv[2], '--out', sys.argv[3], '--dry-run']\n"
            "try:\n    runpy.run_module('sshr_cli', run_name='__main__')\nexcept SystemExit as e:\n    code = e.code\n"
            "print('HEAVY', code, sorted(m for m in ('torch', 'transformers') if m in sys.modules))\n")
    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", code, str(encoder), str(prepared), str(tmp_path / "run")],
                          capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(repo)})
    assert "batches per epoch and rank" in proc.stderr + proc.stdout, proc.stderr[-2000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("HEAVY"))
    assert line in ("HEAVY 0 []", "HEAVY None []"), proc.stderr[-2000:]
    assert not (tmp_path / "run").exists()
