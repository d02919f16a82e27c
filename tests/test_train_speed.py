"""The training loop's speed switches (sshr_cli.train.speed): bucket-edge padding and torch.compile."""

import pytest
import torch

from helpers_train import write_prepared
from sshr_cli.config import load_recipe
from sshr_cli.data.dataset import Batch
from sshr_cli.errors import ConfigError
from sshr_cli.io import read_jsonl
from sshr_cli.train.loop import FinetuneRequest, finetune
from sshr_cli.train.speed import pad_to_multiple, regions

QUICK = ["train.max_steps=3", "train.eval_every=100", "train.log_every=1", "data.max_batch_seconds=8"]


@pytest.fixture(scope="module")
def prepared(cv_corpus, tmp_path_factory):
    return write_prepared(cv_corpus, tmp_path_factory.mktemp("prepared"))


def run(data, out, *overrides):
    req = FinetuneRequest(load_recipe("synthetic/tiny", [*QUICK, *overrides]), data, out, "unused",
                          show_progress=False)
    result = finetune(req)
    return result, [r for r in read_jsonl(out / "metrics.jsonl") if r["split"] == "train"]


def small_batch(samples: int) -> Batch:
    x = torch.arange(2 * samples, dtype=torch.float32).reshape(2, samples)  # [B, S]
    mask = torch.ones(2, samples, dtype=torch.long)
    mask[1, samples // 2:] = 0
    return Batch(x, mask, torch.tensor([[3, 4], [5, -100]]), torch.tensor([0, 1]), [0, 1],
                 audio_seconds=1.5 * samples / 16000, padded_seconds=2 * samples / 16000)


def test_pad_to_multiple_pads_samples_and_mask_to_the_bucket_edge():
    batch = small_batch(10_000)
    padded = pad_to_multiple(batch, 0.5)  # 8000 samples: 10000 -> 16000
    assert padded.input_values.shape == (2, 16_000) and padded.attention_mask.shape == (2, 16_000)
    assert torch.equal(padded.input_values[:, :10_000], batch.input_values)
    assert padded.input_values[:, 10_000:].abs().sum() == 0 and padded.attention_mask[:, 10_000:].sum() == 0
    assert torch.equal(padded.attention_mask[:, :10_000], batch.attention_mask)
    assert padded.padded_seconds == pytest.approx(2 * 16_000 / 16_000)
    assert padded.audio_seconds == batch.audio_seconds and torch.equal(padded.labels, batch.labels)


def test_pad_to_multiple_leaves_a_batch_alone_when_off_or_already_on_an_edge():
    batch = small_batch(8_000)
    assert pad_to_multiple(batch, 0.0) is batch
    assert pad_to_multiple(batch, 0.5) is batch


@pytest.mark.parametrize("setting, message", [("train.compile=fast", "train.compile must be one of"),
                                              ("train.pad_to_multiple_s=-1", "pad_to_multiple_s must be >= 0")])
def test_bad_speed_settings_are_one_line_config_errors(setting, message):
    with pytest.raises(ConfigError, match=message):
        load_recipe("synthetic/tiny", [setting])


def test_bucket_padding_shows_in_the_padding_metric_and_still_trains(prepared, tmp_path):
    _, plain = run(prepared, tmp_path / "plain")
    _, bucketed = run(prepared, tmp_path / "bucketed", "train.pad_to_multiple_s=4.0")
    assert len(bucketed) == 3 and all(torch.isfinite(torch.tensor(r["loss"])) for r in bucketed)
    assert all(b["padding"] > p["padding"] for b, p in zip(bucketed, plain))  # same batches, longer rows


@pytest.mark.slow
def test_compiled_regions_give_the_eager_losses_and_the_same_checkpoint_keys(prepared, tmp_path):
    """torch.compile (inductor on CPU) around the encoder's conv front end and layers."""
    from safetensors.torch import load_file

    eager, eager_rows = run(prepared, tmp_path / "eager", "model.final_dropout=0.0", "model.mask_time_prob=0.0")
    compiled, rows = run(prepared, tmp_path / "compiled", "model.final_dropout=0.0", "model.mask_time_prob=0.0",
                         "train.compile=auto")
    assert compiled.step == eager.step == 3
    assert [r["loss"] for r in rows] == pytest.approx([r["loss"] for r in eager_rows], rel=1e-3)
    keys = lambda out: set(load_file(out / "last" / "model.safetensors"))  # noqa: E731
    assert keys(tmp_path / "compiled") == keys(tmp_path / "eager")


def test_regions_are_the_front_end_the_positional_conv_and_every_layer(prepared, tmp_path):
    from sshr_cli.train.loop import Trainer
    from sshr_cli.train import distributed

    req = FinetuneRequest(load_recipe("synthetic/tiny", QUICK), prepared, tmp_path / "r", "unused",
                          show_progress=False)
    model = Trainer(req, distributed.setup()).model
    enc = model.encoder_model
    assert regions(model)[:2] == [enc.feature_extractor, enc.encoder.pos_conv_embed]
    assert regions(model)[2:] == list(enc.encoder.layers)
