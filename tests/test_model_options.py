"""The paper-faithful options: sshr_paper.yaml's loss, lid_from, cross_ctc_last_layer."""

from pathlib import Path

import pytest
import torch

from helpers_model import NO_DROPOUT, padded_batch, labels_for, tiny_model
from sshr_cli.config import load_recipe
from sshr_cli.errors import ConfigError
from sshr_cli.model.config import SSHRConfig
from sshr_cli.model.losses import ctc_loss

ROOT = Path(__file__).resolve().parents[1]
TINY_PAPER = dict(lid_layer=1, num_layers=3, cross_ctc_layers=(2, 3), **NO_DROPOUT)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("options")


def _batch():
    x, mask = padded_batch([0.6, 0.4], seed=3)
    return x, mask, labels_for([[3, 4, 2, 5], [6, 7]]), torch.tensor([0, 1])


@pytest.mark.parametrize("recipe", ["commonvoice", "mlsuperb"])
def test_paper_recipe_loss_is_ctc_and_inter_ctc_without_lid(root, recipe):
    cfg = load_recipe(ROOT / f"recipes/{recipe}/sshr_paper.yaml")
    ours = load_recipe(ROOT / f"recipes/{recipe}/sshr.yaml")
    assert cfg.model.lid_weight == 0.0 and ours.model.lid_weight > 0
    assert cfg.model.lid_layer == ours.model.lid_layer and cfg.model.cross_ctc_layers == ours.model.cross_ctc_layers
    w = cfg.model.inter_ctc_weight
    # the same loss on a tiny model: only the layer numbers shrink to fit 4 layers
    model = tiny_model(root, languages=("en", "de"), inter_ctc_weight=w, lid_weight=cfg.model.lid_weight,
                       **TINY_PAPER).eval()
    x, mask, labels, lang_ids = _batch()
    out = model(x, mask, labels=labels, lang_ids=lang_ids, output_hidden_states=False)
    lengths = out.output_lengths
    # by hand: the final head's CTC, and the mean of the intermediate heads' CTC (recomputed per layer)
    final = ctc_loss(out.logits, labels, lengths)
    inter = _inter_losses(model, x, mask, labels, lengths)
    expected = (1 - w) * final + w * sum(inter) / len(inter)
    assert len(inter) == 2 and "lid" not in out.losses
    torch.testing.assert_close(out.loss, expected, rtol=1e-5, atol=1e-6)
    # and the LID extension adds exactly lid_weight * CE on top
    ours_model = tiny_model(root, languages=("en", "de"), inter_ctc_weight=w, lid_weight=0.5, **TINY_PAPER).eval()
    ours_out = ours_model(x, mask, labels=labels, lang_ids=lang_ids)
    ce = torch.nn.functional.cross_entropy(ours_out.lid_logits, lang_ids)
    terms = ours_out.losses
    torch.testing.assert_close(terms["lid"], ce)
    torch.testing.assert_close(ours_out.loss, (1 - w) * terms["ctc"] + w * terms["inter_ctc"] + 0.5 * ce,
                               rtol=1e-5, atol=1e-6)


def _inter_losses(model, x, mask, labels, lengths) -> list[torch.Tensor]:
    """Each Cross-CTC layer's CTC loss, from log-probs captured on the CrossCTC modules' inputs."""
    seen = []
    hooks = [m.register_forward_hook(lambda _m, args, _out: seen.append(args[1])) for m in model.cross_ctc.values()]
    with torch.no_grad():
        model(x, mask)
    for h in hooks:
        h.remove()
    return [ctc_loss(lp, labels, lengths) for lp in seen]  # log_softmax of log-probs is the identity


@pytest.mark.parametrize("lid_from", ["pooled", "top"])
def test_lid_from_picks_the_lid_heads_input(root, lid_from):
    model = tiny_model(root, languages=("en", "de"), lid_from=lid_from, **TINY_PAPER).eval()
    x, mask, *_ = _batch()
    seen = []
    model.lid_head.register_forward_hook(lambda _m, args, _out: seen.append(args[0]))
    states = model(x, mask, output_hidden_states=True)
    pooled = states.lid_frame
    if lid_from == "pooled":
        torch.testing.assert_close(seen[0], pooled)
    else:  # the language frame after the last kept layer (and the encoder's final layer_norm)
        top = _top_frame(model, x, mask)
        torch.testing.assert_close(seen[0], top)
        assert not torch.allclose(seen[0], pooled)


def _top_frame(model, x, mask):
    hidden, frame_mask = model._embed(x, mask)
    _, _, _, _, top = model._layers(hidden, frame_mask, False)
    return top


def test_lid_from_rejects_other_values():
    with pytest.raises(ConfigError, match="lid_from must be one of pooled, top"):
        SSHRConfig(lid_from="middle")


def test_cross_ctc_last_layer_false_leaves_the_last_kept_layer_out(root):
    with_last = tiny_model(root, **TINY_PAPER)
    without = tiny_model(root, cross_ctc_last_layer=False, **TINY_PAPER)
    assert with_last.cross_layers == (2, 3) and sorted(with_last.cross_ctc) == ["2", "3"]
    assert without.cross_layers == (2,) and sorted(without.cross_ctc) == ["2"]
    x, mask, labels, lang_ids = _batch()
    out = without.eval()(x, mask, labels=labels)
    assert len(_inter_losses(without, x, mask, labels, out.output_lengths)) == 1 and "inter_ctc" in out.losses
    # the last kept layer is 3 here even if the encoder has 4: only layer 3 goes
    assert SSHRConfig(num_layers=None, cross_ctc_layers=(2, 4), cross_ctc_last_layer=False).cross_layers(4) == (2,)
