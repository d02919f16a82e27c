"""Continue a finished run (issue 18): `--resume --max-steps N` with N above the recorded max_steps
re-plans the lr decay from the current update; every other recipe change is still refused."""

import dataclasses
import json

import pytest
from rich.console import Console

from helpers_train import write_prepared
from sshr_cli.config import load_recipe
from sshr_cli.io import read_jsonl
from sshr_cli.train.loop import FinetuneRequest, finetune
from sshr_cli.train.schedule import decay_start, planned_factor, tri_stage_factor

QUICK = ["train.eval_every=2", "train.log_every=1", "data.max_batch_seconds=8"]


@pytest.fixture(scope="module")
def prepared(cv_corpus, tmp_path_factory):
    return write_prepared(cv_corpus, tmp_path_factory.mktemp("prepared"))


def request(data, out, *overrides, resume=None):
    return FinetuneRequest(load_recipe("synthetic/tiny", [*QUICK, *overrides]), data, out, "unused", resume,
                           show_progress=False)


def test_an_extension_continues_the_decay_from_where_it_stands():
    s = dataclasses.replace(load_recipe("synthetic/tiny").schedule, warmup_ratio=0.1, hold_ratio=0.4,
                            decay_ratio=0.5)  # over 100 updates: warm-up to 10, hold to 50, decay to 100
    assert planned_factor(7, 100, s) == tri_stage_factor(7, 100, s)  # no extension: the tri-stage plan
    # stopped at update 60 of 100 (mid-decay), raised to 200: unchanged up to 60, then a slower decay
    ext = ((60, 100, 200),)
    assert all(planned_factor(k, 100, s, ext) == tri_stage_factor(k, 100, s) for k in range(0, 61))
    later = [planned_factor(k, 100, s, ext) for k in range(60, 201)]
    assert all(a > b for a, b in zip(later, later[1:]))  # still decaying, never a jump up
    assert later[-1] == pytest.approx(s.final_lr_scale)
    assert planned_factor(100, 100, s, ext) > tri_stage_factor(100, 100, s)
    # a finished run (the decay done) stays at final_lr_scale; two raises chain
    assert planned_factor(150, 100, s, ((100, 100, 200),)) == pytest.approx(s.final_lr_scale)
    twice = ((60, 100, 200), (120, 200, 300))
    assert planned_factor(120, 100, s, twice) == pytest.approx(planned_factor(120, 100, s, ext))
    assert planned_factor(300, 100, s, twice) == pytest.approx(s.final_lr_scale)
    # raised before the decay began: warm-up and hold keep their steps, the decay ends at the new total
    early = ((decay_start(100, s) - 5, 100, 200),)
    assert planned_factor(decay_start(100, s), 100, s, early) == pytest.approx(1.0)
    assert planned_factor(200, 100, s, early) == pytest.approx(s.final_lr_scale)


@pytest.mark.slow
def test_resume_with_more_steps_continues_a_finished_run(prepared, tmp_path):
    out = tmp_path / "run"
    first = finetune(request(prepared, out, "train.max_steps=4"))
    assert first.step == 4 and first.stopped == "max_steps"
    console = Console(record=True, width=300)
    more = finetune(request(prepared, out, "train.max_steps=6", resume=True), console=console)
    assert more.step == 6 and more.stopped == "max_steps"
    said = console.export_text()
    assert "continuing 4 -> 6 updates" in said and "re-planned from update 4" in said, said
    rows = read_jsonl(out / "metrics.jsonl")
    event = [r for r in rows if r.get("split") == "schedule"]
    assert len(event) == 1 and event[0]["step"] == 4 and event[0]["max_steps_before"] == 4
    assert event[0]["max_steps"] == 6
    train = {r["step"]: r for r in rows if r.get("split") == "train"}
    assert sorted(train) == [1, 2, 3, 4, 5, 6]
    lrs = [train[k]["lr_heads"] for k in range(1, 7)]
    assert lrs[4] <= lrs[3] * (1 + 1e-6) and lrs[5] == pytest.approx(lrs[4])  # the decay was done: no jump back up
    assert json.loads((out / "last" / "train_summary.json").read_text())["step"] == 6
    # the raise is recorded: resuming the extended run again with the same recipe is a no-op, not a refusal
    again = finetune(request(prepared, out, "train.max_steps=6", resume=True))
    assert again.stopped == "already_done"
    with pytest.raises(Exception, match="different recipe"):  # other changes are still refused
        finetune(request(prepared, out, "train.max_steps=8", "optim.lr_heads=0.5", resume=True))
    with pytest.raises(Exception, match="different recipe"):  # and fewer steps too
        finetune(request(prepared, out, "train.max_steps=5", resume=True))
