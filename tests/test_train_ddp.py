"""Two processes under torchrun on CPU (gloo): each trains on its own shard, and they end equal."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helpers_train import write_prepared

REPO = Path(__file__).resolve().parent.parent
TORCHRUN = Path(sys.executable).with_name("torchrun")

WORKER = """
import sys, torch
from pathlib import Path
from sshr_cli.config import load_recipe
from sshr_cli.train import distributed
from sshr_cli.train.loop import FinetuneRequest, Trainer

data, out = Path(sys.argv[1]), Path(sys.argv[2])
recipe = load_recipe("synthetic/tiny", ["train.max_steps=3", "train.eval_every=3", "data.max_batch_seconds=8",
                                        "model.final_dropout=0.1"])
info = distributed.setup()
trainer = Trainer(FinetuneRequest(recipe, data, out, "unused", show_progress=False), info)
seen = [i for b in trainer.sampler.rank_batches(0) for i in b]
n = len(trainer.train_set)
trainer.run()
torch.save({"weights": trainer.model.state_dict(), "seen": seen, "n": n}, out / f"rank{info.rank}.pt")
distributed.teardown()
"""


@pytest.fixture(scope="module")
def prepared(cv_corpus, tmp_path_factory):
    return write_prepared(cv_corpus, tmp_path_factory.mktemp("prepared"))


def torchrun(args, tmp_path, timeout=300):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    cmd = [str(TORCHRUN), "--standalone", "--nproc_per_node", "2", *args]
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_two_gloo_ranks_train_disjoint_shards_and_agree_on_the_weights(prepared, tmp_path):
    if not TORCHRUN.is_file():
        pytest.skip(f"no torchrun beside {sys.executable}")
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    out = tmp_path / "run"
    out.mkdir()
    proc = torchrun([str(script), str(prepared), str(out)], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0, r1 = (torch.load(out / f"rank{r}.pt") for r in (0, 1))
    assert set(r0["seen"]) | set(r1["seen"]) == set(range(r0["n"]))
    assert len(set(r0["seen"]) & set(r1["seen"])) <= 8  # disjoint but for one repeated batch evening out ranks
    start = torch.load(out / "last/trainer_state.pt")  # only rank 0 saved
    assert start["step"] == 3
    for name, w in r0["weights"].items():
        assert torch.equal(w, r1["weights"][name]), name


@pytest.mark.slow
def test_the_cli_runs_under_torchrun(prepared, tmp_path):
    """`torchrun -m sshr_cli finetune ...`: one process logs and saves, both train."""
    if not TORCHRUN.is_file():
        pytest.skip(f"no torchrun beside {sys.executable}")
    out = tmp_path / "run"
    proc = torchrun(["-m", "sshr_cli", "finetune", "--config", "synthetic/tiny", "--data", str(prepared),
                     "--out", str(out), "--max-steps", "2", "--set", "train.eval_every=2", "--no-progress"],
                    tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "best/model.safetensors").is_file() and (out / "last/trainer_state.pt").is_file()
    assert proc.stdout.count("x2") == 1  # the start line (finetune narrates on stdout), once (rank 0), names 2 processes
