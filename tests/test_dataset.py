import random

import numpy as np
import pytest
import torch

from helpers_train import fake_manifest_rows, random_durations
from sshr_cli.data.dataset import LABEL_PAD, DurationBatchSampler, collate, conv_frames, ctc_min_frames
from sshr_cli.data.index import open_index
from sshr_cli.data.manifest import manifest_path, vocab_path
from sshr_cli.errors import DataError
from sshr_cli.io import write_jsonl
from sshr_cli.text import Vocab


def test_batches_respect_the_padded_seconds_cap_and_cover_each_utterance_once():
    durations = random_durations(300)
    sampler = DurationBatchSampler(durations, max_batch_seconds=40.0, max_batch_size=16, seed=1)
    batches = list(sampler)
    for b in batches:
        assert len(b) <= 16
        assert len(b) == 1 or len(b) * max(durations[i] for i in b) <= 40.0
    assert sorted(i for b in batches for i in b) == list(range(300))


def test_one_utterance_longer_than_the_cap_gets_a_batch_of_its_own():
    sampler = DurationBatchSampler([1.0, 50.0, 1.0], max_batch_seconds=10.0)
    assert sorted(map(sorted, sampler)) == [[0, 2], [1]]


def greedy_batch_count(durations, cap, max_size):
    """Batches of the textbook packing: sort by length, fill each batch while size x longest fits."""
    count, size, longest = 0, 0, 0.0
    for d in sorted(durations):
        if size and (size + 1 > max_size or (size + 1) * max(longest, d) > cap):
            count, size, longest = count + 1, 0, 0.0
        size, longest = size + 1, max(longest, d)
    return count + 1


def test_a_small_corpus_over_many_buckets_still_gets_full_batches():
    durations = random_durations(240, seed=4)  # 1-12 s: ~125 buckets of 2%, ~2 utterances each
    sampler = DurationBatchSampler(durations, max_batch_seconds=10.0, max_batch_size=8, seed=0, jitter=0.0)
    greedy = greedy_batch_count(durations, 10.0, 8)
    assert len(sampler.plan(0)) <= greedy * 1.03  # cutting each bucket alone gave ~11% more, smaller batches


def test_plan_is_a_function_of_seed_and_epoch():
    durations = random_durations(100)
    a = DurationBatchSampler(durations, 30.0, seed=3)
    b = DurationBatchSampler(durations, 30.0, seed=3)
    assert a.plan(0) == b.plan(0)
    assert a.plan(0) != a.plan(1)  # buckets and order change per epoch
    assert a.plan(0) != DurationBatchSampler(durations, 30.0, seed=4).plan(0)


def test_ddp_shards_are_disjoint_equal_sized_and_cover_everything():
    durations = random_durations(101)
    single = DurationBatchSampler(durations, 30.0, seed=0).plan(2)
    ranks = [DurationBatchSampler(durations, 30.0, seed=0, rank=r, world_size=3) for r in range(3)]
    for s in ranks:
        s.set_epoch(2)
    shards = [list(s) for s in ranks]
    assert len({len(s) for s in shards}) == 1  # every rank steps the same number of times
    extra = 3 * len(shards[0]) - len(single)
    assert 0 <= extra < 3  # only enough repeats to even out the ranks
    interleaved = [shards[k % 3][k // 3] for k in range(len(single))]
    assert interleaved == single  # rank r takes batches r, r+3, ... of the one shared plan
    flat = [i for b in single for i in b]
    assert sorted(flat) == list(range(101))  # disjoint and complete before the repeats


def test_resume_position_skips_exactly_the_consumed_batches():
    durations = random_durations(80)
    full = DurationBatchSampler(durations, 25.0, seed=5)
    full.set_epoch(1)
    expected = list(full)
    resumed = DurationBatchSampler(durations, 25.0, seed=5)
    resumed.load_state_dict({"epoch": 1, "start": 4, "seed": 5})
    assert list(resumed) == expected[4:]
    assert len(resumed) == len(expected) - 4


def test_bucketing_wastes_far_less_padding_than_random_batches():
    durations = random_durations(400, seed=2)
    sampler = DurationBatchSampler(durations, 60.0, seed=0)
    bucketed = sampler.padding_fraction(0)
    rng = random.Random(0)
    order = list(range(400))
    rng.shuffle(order)
    size = int(np.mean([len(b) for b in sampler.plan(0)]))
    chunks = [order[i:i + size] for i in range(0, 400, size)]
    real = sum(durations)
    padded = sum(len(c) * max(durations[i] for i in c) for c in chunks)
    assert bucketed < 0.1 < 1 - real / padded


def test_ctc_frames_and_conv_lengths():
    assert ctc_min_frames([3, 4, 4, 5]) == 5  # a blank must separate the repeated 4s
    assert conv_frames(16000) == 49  # wav2vec2: 320 samples a frame, 400-sample receptive field
    assert conv_frames(100) == 0


def test_the_index_skips_and_reports_labels_longer_than_frames(tmp_path):
    rows = fake_manifest_rows([1.0, 0.05, 2.0])
    rows[1]["units"] = "a b a b a b"  # 6 labels in 0.05 s (2 frames)
    rows[2]["units"] = ""
    write_jsonl(manifest_path(tmp_path, "en", "train"), rows)
    vocab = Vocab.build([["a", "b"]])
    vocab.save(vocab_path(tmp_path))
    index = open_index(tmp_path, ["en"], "train", vocab)
    assert [index[i].id for i in range(len(index))] == ["en0"]
    assert index[0].labels == (3, 4)
    assert index.skipped.counts == {"more labels than encoder frames": 1, "no target units": 1}
    assert "en1" in " ".join(index.skipped.lines("train"))


def test_an_empty_split_is_a_one_line_error():
    with pytest.raises(DataError, match="no utterances"):
        DurationBatchSampler([], 10.0)


def test_collate_pads_waves_and_labels():
    items = [{"wave": np.ones(5, np.float32), "labels": (3, 4, 5), "lang_id": 0, "index": 7},
             {"wave": np.ones(3, np.float32), "labels": (6,), "lang_id": 1, "index": 2}]
    batch = collate(items)
    assert batch.input_values.shape == (2, 5) and batch.labels.shape == (2, 3)
    assert batch.attention_mask.tolist() == [[1] * 5, [1, 1, 1, 0, 0]]
    assert batch.input_values[1, 3:].abs().sum() == 0
    assert batch.labels[1].tolist() == [6, LABEL_PAD, LABEL_PAD]
    assert batch.lang_ids.tolist() == [0, 1] and batch.indices == [7, 2]
    assert batch.padded_seconds == pytest.approx(10 / 16000)
    assert torch.equal(batch.to("cpu").labels, batch.labels)
