"""SSHRForCTC in training: padding invariance, gradients, SpecAugment, other encoder families, learning."""

import math

import numpy as np
import pytest
import torch

from sshr_cli.errors import ConfigError
from sshr_cli.model.config import SSHRConfig
from sshr_cli.model.sshr import SSHRForCTC
from tests.helpers_model import (ALL_OFF, NO_DROPOUT, SMALL_SSHR, TINY_VOCAB, labels_for, padded_batch,
                                 tiny_family_dir, tiny_model)

LANGS = ("en", "de")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("model_training")


def test_padding_does_not_change_logits_or_the_language_frame(root):
    model = tiny_model(root, languages=LANGS, **SMALL_SSHR).eval()
    x, mask = padded_batch([0.6, 1.3], seed=3)  # utterance 0 is padded with 0.7 s
    n = int(mask[0].sum())
    with torch.no_grad():
        alone = model(x[:1, :n], mask[:1, :n])
        batch = model(x, mask)
    t = int(alone.output_lengths[0])
    assert int(batch.output_lengths[0]) == t and batch.logits.shape[1] > t
    torch.testing.assert_close(batch.logits[:1, :t], alone.logits, atol=1e-4, rtol=0)
    torch.testing.assert_close(batch.lid_frame[:1], alone.lid_frame, atol=1e-4, rtol=0)
    torch.testing.assert_close(batch.lid_logits[:1], alone.lid_logits, atol=1e-4, rtol=0)


def test_language_frame_is_removed_before_the_heads(root):
    model = tiny_model(root, languages=LANGS, **SMALL_SSHR).eval()
    x, mask = padded_batch([1.0])
    with torch.no_grad():
        out = model(x, mask, output_hidden_states=True)
    assert out.logits.shape == (1, 49, len(TINY_VOCAB)) and out.lid_logits.shape == (1, 2)
    assert len(out.hidden_states) == 4 and all(h.shape == (1, 49, 32) for h in out.hidden_states)


@pytest.mark.parametrize("stable", [True, False], ids=["layer-norm", "group-norm"])
def test_gradients_reach_every_trainable_parameter(root, stable):
    model = tiny_model(root, stable, languages=LANGS, share_ctc_head=False, replace_final_layers=1,
                       mask_time_prob=0.5, mask_time_length=2, **SMALL_SSHR).train()
    x, mask = padded_batch([1.0, 0.7], seed=1)
    out = model(x, mask, labels=labels_for([[3, 4, 2, 5], [6, 7]]), lang_ids=torch.tensor([0, 1]))
    assert set(out.losses) == {"ctc", "inter_ctc", "lid"}
    out.loss.backward()
    trainable = dict((n, p) for n, p in model.named_parameters() if p.requires_grad)
    starved = [n for n, p in trainable.items() if p.grad is None or not p.grad.abs().sum() > 0]
    assert starved == []
    assert any(n.startswith("inter_heads.") for n in trainable) and any(n.startswith("cross_ctc.3") for n in trainable)
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert frozen and all(".feature_extractor." in f".{n}" for n in frozen)  # only the conv feature encoder
    assert len(model.encoder_parameters()) + len(model.head_parameters()) == len(trainable)


def test_total_loss_combines_the_terms_as_documented(root):
    model = tiny_model(root, languages=LANGS, inter_ctc_weight=0.3, lid_weight=0.1, **NO_DROPOUT,
                       **SMALL_SSHR).eval()
    x, mask = padded_batch([1.0, 0.7], seed=2)
    out = model(x, mask, labels=labels_for([[3, 4], [5]]), lang_ids=torch.tensor([1, -100]))
    t = out.losses
    assert math.isclose(out.loss.item(), 0.7 * t["ctc"] + 0.3 * t["inter_ctc"] + 0.1 * t["lid"], rel_tol=1e-5)
    no_lid = model(x, mask, labels=labels_for([[3, 4], [5]]))
    assert "lid" not in no_lid.losses


def test_spec_augment_only_in_training_and_short_batches_survive(root):
    model = tiny_model(root, mask_time_prob=0.6, mask_time_length=2, final_dropout=0.0, **ALL_OFF)
    x, mask = padded_batch([1.0])
    with torch.no_grad():
        model.eval()
        a, b = model(x, mask).logits, model(x, mask).logits
        model.train()
        c = model(x, mask).logits
        short = model(*padded_batch([0.03]))  # 1 frame, shorter than a mask span
    assert torch.equal(a, b) and not torch.allclose(a, c)
    assert short.logits.shape[1] == 1


def test_gradient_checkpointing_gives_the_same_gradients(root):
    grads = []
    for checkpointing in (False, True):
        torch.manual_seed(0)
        model = tiny_model(root, languages=LANGS, gradient_checkpointing=checkpointing, **NO_DROPOUT,
                           **SMALL_SSHR).train()
        x, mask = padded_batch([1.0, 0.5])
        model(x, mask, labels=labels_for([[3, 4], [5]]), lang_ids=torch.tensor([0, 1])).loss.backward()
        grads.append(model.encoder_model.encoder.layers[0].attention.q_proj.weight.grad.clone())
    torch.testing.assert_close(grads[0], grads[1], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("model_type", ["hubert", "data2vec-audio"])
def test_other_encoder_families_equal_their_hf_ctc_model(root, model_type):
    from transformers import AutoModelForCTC

    model = SSHRForCTC.from_encoder(tiny_family_dir(root, model_type), SSHRConfig(arch="ctc"), TINY_VOCAB).eval()
    hf = AutoModelForCTC.from_config(model.encoder_config).eval()
    hf.load_state_dict(model.state_dict(), strict=True)
    x, mask = padded_batch([1.0, 0.6])
    with torch.no_grad():
        torch.testing.assert_close(model(x, mask).logits, hf(x, attention_mask=mask).logits, atol=1e-5, rtol=0)
    sshr = SSHRForCTC.from_encoder(tiny_family_dir(root, model_type), SSHRConfig(**SMALL_SSHR), TINY_VOCAB)
    sshr(x, mask, labels=labels_for([[3], [4]])).loss.backward()


def test_wavlm_is_rejected_with_a_clear_error(root):
    with pytest.raises(ConfigError, match="'wavlm' is not supported .*relative position bias"):
        SSHRForCTC.from_encoder(tiny_family_dir(root, "wavlm"), SSHRConfig(**SMALL_SSHR), TINY_VOCAB)


def tone_clip(ids: list[int], seg_s: float = 0.08, sr: int = 16_000) -> np.ndarray:
    """One tone per character (id 3 -> 400 Hz, 4 -> 800 Hz, ...), 20 ms of silence between."""
    parts = []
    for i in ids:
        t = np.arange(int(seg_s * sr)) / sr
        parts += [np.sin(2 * np.pi * 400 * (i - 2) * t), np.zeros(int(0.02 * sr))]
    return np.concatenate(parts).astype(np.float32)


@pytest.mark.slow  # ~10 s alone, 30 s on a busy 2-core machine
def test_loss_falls_over_30_steps_on_tone_clips(root):
    torch.manual_seed(0)
    model = tiny_model(root, languages=LANGS, mask_time_prob=0.0, **SMALL_SSHR).train()
    targets = [[3, 4, 5], [6, 7], [5, 3, 7, 4], [4, 6]]
    waves = [torch.from_numpy(tone_clip(t)) for t in targets]
    x = torch.nn.utils.rnn.pad_sequence(waves, batch_first=True)  # [B, S]
    mask = (torch.arange(x.shape[1])[None] < torch.tensor([len(w) for w in waves])[:, None]).long()
    labels, langs = labels_for(targets), torch.tensor([0, 1, 0, 1])
    optim = torch.optim.AdamW([{"params": model.encoder_parameters(), "lr": 1e-3},
                               {"params": model.head_parameters(), "lr": 3e-3}])
    losses = []
    for _ in range(30):
        out = model(x, mask, labels=labels, lang_ids=langs)
        optim.zero_grad()
        out.loss.backward()
        optim.step()
        losses.append(out.loss.item())
    assert all(math.isfinite(v) for v in losses)
    assert np.mean(losses[-5:]) < 0.5 * losses[0], losses
