"""SSHRForCTC: equals HF Wav2Vec2ForCTC when SSHR is off; checkpoints round-trip and load in HF."""

import json

import numpy as np
import pytest
import torch

from sshr_cli.errors import CheckpointError, ConfigError
from sshr_cli.model.config import SSHRConfig
from sshr_cli.model.sshr import SSHRForCTC
from tests.helpers_model import ALL_OFF, SMALL_SSHR, TINY_VOCAB, labels_for, padded_batch, tiny_model


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("model")


@pytest.mark.parametrize("stable", [True, False], ids=["layer-norm", "group-norm"])
@pytest.mark.parametrize("arch", ["ctc", "sshr"])
def test_sshr_off_equals_hf_wav2vec2_for_ctc(root, stable, arch):
    from transformers import Wav2Vec2ForCTC

    model = tiny_model(root, stable, arch=arch, **ALL_OFF).eval()
    hf = Wav2Vec2ForCTC(model.encoder_config).eval()
    hf.load_state_dict(model.state_dict(), strict=True)  # same parameter names, nothing extra
    x, mask = padded_batch([1.0, 0.6])
    labels = labels_for([[3, 4, 5], [6, 7]])
    with torch.no_grad():
        ours, theirs = model(x, mask, labels=labels), hf(x, attention_mask=mask, labels=labels)
    torch.testing.assert_close(ours.logits, theirs.logits, atol=1e-5, rtol=0)
    torch.testing.assert_close(ours.loss, theirs.loss, atol=1e-5, rtol=1e-6)
    assert ours.output_lengths.tolist() == [49, 29]  # 20 ms frames, HF's conv arithmetic


def test_save_load_gives_identical_outputs(root, tmp_path):
    model = tiny_model(root, languages=("en", "de"), **SMALL_SSHR).eval()
    model.save_pretrained(tmp_path / "ckpt", extra={"unigrams.txt": "a\nb\n"})
    loaded = SSHRForCTC.from_pretrained(tmp_path / "ckpt").eval()
    x, mask = padded_batch([0.8, 0.5], seed=1)
    with torch.no_grad():
        a, b = model(x, mask), loaded(x, mask)
    assert torch.equal(a.logits, b.logits) and torch.equal(a.lid_logits, b.lid_logits)
    assert loaded.sshr_config == model.sshr_config and loaded.vocab == model.vocab
    config = json.loads((tmp_path / "ckpt" / "config.json").read_text())
    assert config["sshr"]["cross_ctc_layers"] == [2, 3] and config["encoder"]["num_hidden_layers"] == 3
    assert set(config["sshr_versions"]) == {"sshr", "torch", "transformers"}
    assert (tmp_path / "ckpt" / "unigrams.txt").read_text() == "a\nb\n"


def test_baseline_checkpoint_is_a_real_wav2vec2_for_ctc_folder(root, tmp_path):
    from transformers import pipeline

    from sshr_cli.hub import load_recognizer

    model = tiny_model(root, arch="ctc").eval()
    model.save_pretrained(tmp_path / "base")
    config = json.loads((tmp_path / "base" / "config.json").read_text())
    assert config["architectures"] == ["Wav2Vec2ForCTC"] and config["vocab_size"] == len(TINY_VOCAB)
    assert config["pad_token_id"] == 0 and config["ctc_zero_infinity"] is True
    asr = pipeline("automatic-speech-recognition", model=str(tmp_path / "base"), device="cpu")
    wave = np.random.default_rng(0).standard_normal(16_000).astype(np.float32)
    assert isinstance(asr(wave)["text"], str)
    hf_logits = asr.model(torch.from_numpy(wave)[None]).logits
    rec = load_recognizer(tmp_path / "base")
    assert rec.kind == "sshr"  # the "sshr" section wins: our loader, same numbers
    ours = model(torch.from_numpy(wave)[None]).logits
    torch.testing.assert_close(ours, hf_logits, atol=1e-5, rtol=0)
    rec.do_normalize = False  # asr.model above was given the raw wave
    torch.testing.assert_close(rec([wave]).log_probs, hf_logits.log_softmax(-1), atol=1e-5, rtol=0)


def test_head_size_mismatch_is_a_checkpoint_error(root, tmp_path):
    tiny_model(root, arch="ctc").save_pretrained(tmp_path / "c")
    (tmp_path / "c" / "vocab.json").write_text(json.dumps({"<pad>": 0, "<unk>": 1, "|": 2, "a": 3}))
    with pytest.raises(CheckpointError, match="vocab.json has 4 tokens .* CTC head has 8 outputs"):
        SSHRForCTC.from_pretrained(tmp_path / "c")


@pytest.mark.parametrize("overrides, message", [
    (dict(lid_layer=4, num_layers=3, cross_ctc_layers=()), "lid_layer=4 must be in 1..2"),
    (dict(lid_layer=1, num_layers=5, cross_ctc_layers=()), "num_layers=5, but the encoder has 4 layers"),
    (dict(lid_layer=1, num_layers=3, cross_ctc_layers=(3, 2)), "must be ascending"),
    (dict(lid_layer=1, num_layers=3, cross_ctc_layers=(2, 4)), r"within 1\.\.3"),
    (dict(lid_layer=1, num_layers=3, cross_ctc_layers=(), cross_attention_heads=3), "must divide"),
])
def test_config_is_checked_against_the_encoder(root, overrides, message):
    with pytest.raises(ConfigError, match=message):
        tiny_model(root, **overrides)


def test_config_round_trips_and_rejects_unknown_keys():
    config = SSHRConfig(languages=["en", "de"], cross_ctc_layers=[4, 6])
    assert SSHRConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    with pytest.raises(ConfigError, match="unknown model option"):
        SSHRConfig.from_dict({"lid_layr": 3})
    with pytest.raises(ConfigError, match="arch must be one of"):
        SSHRConfig(arch="rnnt")


def test_language_frame_without_languages_has_no_lid_head(root):
    model = tiny_model(root, **SMALL_SSHR).eval()
    out = model(*padded_batch([0.5]))
    assert out.lid_logits is None and out.lid_frame.shape == (1, 32) and model.lid_head is None


def test_missing_encoder_folder_is_a_one_line_hub_error(tmp_path):
    from sshr_cli.errors import HubError

    with pytest.raises(HubError, match="neither a folder nor a Hub id"):
        SSHRForCTC.from_encoder(tmp_path / "missing", SSHRConfig(), TINY_VOCAB)


def test_mask_embedding_missing_from_the_encoder_is_drawn(root):
    """The tiny encoder is saved without masking, so masked_spec_embed is new at load time; some
    transformers 5.x releases left it uninitialised (NaN loss). It must be finite, in [0, 1)."""
    model = tiny_model(root, mask_time_prob=0.5, mask_time_length=2, **SMALL_SSHR)
    emb = model.encoder_model.masked_spec_embed
    assert torch.isfinite(emb).all() and emb.min() >= 0 and emb.max() < 1 and emb.std() > 0
    from sshr_cli.model.encoder import init_missing_mask_embedding

    with torch.no_grad():
        emb.fill_(float("nan"))
    init_missing_mask_embedding(model.encoder_model, ())
    assert torch.isfinite(emb).all()
    with torch.no_grad():
        emb.fill_(7.0)  # finite, but what an uninitialised tensor may hold
    init_missing_mask_embedding(model.encoder_model, ["masked_spec_embed"])
    assert emb.max() < 1  # a missing key is drawn even when its memory looks finite


def test_arch_ctc_runs_with_every_sshr_only_part_off():
    """SSHRConfig.effective() is the one home of 'arch=ctc ignores the SSHR fields'."""
    config = SSHRConfig(arch="ctc", lid_layer=99, num_layers=99, cross_ctc_layers=(99,), replace_final_layers=5)
    assert config.validate(encoder_layers=4, hidden_size=32, encoder_heads=2) is config  # ignored, so not checked
    used = config.effective()
    assert used.lid_layer is None and used.cross_ctc_layers == () and used.replace_final_layers == 0
    assert config.kept_layers(4) == 4 and SSHRConfig().effective() == SSHRConfig()
