"""train.eval_max_utterances: a seeded, per-language-balanced dev subset for the frequent
evaluations; the full dev set for best/ and at the end of training."""

import json

import numpy as np
import pytest

from helpers_train import write_prepared
from sshr_cli.config import load_recipe
from sshr_cli.data.subset import balanced_subset, language_quotas
from sshr_cli.errors import ConfigError
from sshr_cli.io import read_jsonl
from sshr_cli.train.loop import FinetuneRequest, finetune


def test_quotas_are_equal_shares_and_a_small_language_leaves_its_rest_to_the_others():
    assert language_quotas(np.array([100, 100, 100]), 30).tolist() == [10, 10, 10]
    assert language_quotas(np.array([100, 3, 100]), 30).tolist() == [14, 3, 13]  # 27 left: 14 + 13
    assert language_quotas(np.array([5, 3]), 100).tolist() == [5, 3]  # more asked than there is


def test_subset_is_balanced_per_language_and_drawn_within_each_language():
    lang_ids = np.repeat(np.arange(3, dtype=np.int16), [1000, 50, 400])  # unbalanced dev set
    rows = balanced_subset(lang_ids, 3, 300, seed=0)
    assert len(rows) == 300 and len(set(rows.tolist())) == 300
    assert np.bincount(lang_ids[rows], minlength=3).tolist() == [125, 50, 125]
    assert rows.tolist() == sorted(rows.tolist())
    assert rows[lang_ids[rows] == 0].max() > 500  # drawn from all of language 0, not its first rows


def test_subset_is_the_same_for_a_seed_and_differs_between_seeds():
    lang_ids = np.repeat(np.arange(2, dtype=np.int16), [500, 500])
    a = balanced_subset(lang_ids, 2, 100, seed=3)
    assert np.array_equal(a, balanced_subset(lang_ids.copy(), 2, 100, seed=3))
    assert not np.array_equal(a, balanced_subset(lang_ids, 2, 100, seed=4))


def test_eval_max_utterances_must_be_positive():
    with pytest.raises(ConfigError, match="eval_max_utterances must be > 0"):
        load_recipe("synthetic/tiny", ["train.eval_max_utterances=0"])


@pytest.fixture(scope="module")
def prepared(cv_corpus, tmp_path_factory):
    return write_prepared(cv_corpus, tmp_path_factory.mktemp("prepared"))


def run(data, out, *overrides):
    recipe = load_recipe("synthetic/tiny", ["train.max_steps=8", "train.eval_every=4", "train.log_every=4",
                                            "data.max_batch_seconds=8", "train.eval_max_utterances=2", *overrides])
    return finetune(FinetuneRequest(recipe, data, out, "unused", show_progress=False))


def dev_rows(out):
    return [r for r in read_jsonl(out / "metrics.jsonl") if r["split"] == "dev"]


def test_frequent_evaluations_use_the_subset_and_the_last_one_the_full_dev_set(prepared, tmp_path):
    n_dev = sum(len(read_jsonl(prepared / lang / "dev.jsonl")) for lang in ("en", "de"))
    assert n_dev > 2
    result = run(prepared, tmp_path / "run")
    rows = dev_rows(tmp_path / "run")
    at4 = [r for r in rows if r["step"] == 4]
    # update 4: the subset (one utterance per language), then - its first result is a record - the full set
    assert [(r["eval_set"], r["n"]) for r in at4] == [("subset", 2), ("full", n_dev)]
    assert at4[0]["eval_max_utterances"] == 2 and set(at4[0]["by_lang"]) == {"en", "de"}
    assert at4[1]["best"] is True  # the first full result is the best so far
    # update 8 is the end of training: the full set only
    assert [(r["eval_set"], r["n"]) for r in rows if r["step"] == 8] == [("full", n_dev)]
    # best/ is the full-set record holder, and the result reports its full error
    full_best = [r for r in rows if r["eval_set"] == "full" and r["best"]][-1]
    assert result.best_step == full_best["step"] and result.best_error == pytest.approx(full_best["error_rate"])
    best = json.loads((tmp_path / "run/best/train_summary.json").read_text())
    assert best["step"] == full_best["step"] and best["dev"]["n"] == n_dev


def test_a_run_cut_by_the_time_limit_ends_with_a_full_evaluation(prepared, tmp_path):
    result = run(prepared, tmp_path / "run", "train.max_minutes=0.0001")
    assert result.stopped == "time_limit" and result.step == 1
    rows = dev_rows(tmp_path / "run")
    assert [(r["step"], r["eval_set"]) for r in rows] == [(1, "full")]
    assert json.loads((tmp_path / "run/last/train_summary.json").read_text())["dev"]["eval_set"] == "full"
