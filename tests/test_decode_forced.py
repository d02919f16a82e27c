"""Language-forced decoding: finetune stores each language's mean frame; `--lang` forces it."""

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from helpers_decode import espeak
from helpers_model import NO_DROPOUT, tiny_model
from helpers_train import write_prepared
from sshr_cli.cli import app
from sshr_cli.config import load_recipe
from sshr_cli.data.manifest import load_manifest
from sshr_cli.errors import CheckpointError, ConfigError
from sshr_cli.hub import load_recognizer
from sshr_cli.model.constants import LANGUAGE_FRAMES_FILE
from sshr_cli.model.frames import FrameMeans
from sshr_cli.text.vocab import Vocab
from sshr_cli.train.loop import FinetuneRequest, finetune

runner = CliRunner()
LANGS = ("de", "en")


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    """A tiny random SSHR checkpoint (frame from layer 1) with two random stored frames."""
    root = tmp_path_factory.mktemp("forced")
    vocab = Vocab(("<pad>", "<unk>", "|", *"abcdefghijklmnopqrstuvwxyz'"))
    model = tiny_model(root, vocab=vocab, languages=LANGS, lid_layer=1, num_layers=3, cross_ctc_layers=(3,),
                       **NO_DROPOUT)
    with torch.no_grad():  # a sharp head: random weights alone give near-uniform posteriors
        model.lm_head.weight.mul_(100.0)
    d = model.encoder_config.hidden_size
    means = FrameMeans()
    g = torch.Generator().manual_seed(0)
    means.add("de", torch.randn(1, d, generator=g))  # not constant: layer norm maps every constant vector to one
    means.add("en", torch.randn(1, d, generator=g) * 5)
    folder = model.save_pretrained(root / "ckpt", extra={LANGUAGE_FRAMES_FILE: means.payload(lid_layer=1)})
    wav = espeak("hello world", root / "hello.wav")
    return folder, wav


def _log_probs(rec, wav):
    from sshr_cli.audio import load_audio

    return rec([load_audio(wav)]).log_probs[0].numpy()


def test_forcing_replaces_the_pooled_frame_and_changes_the_output(ckpt):
    folder, wav = ckpt
    rec = load_recognizer(folder)
    free = _log_probs(rec, wav)
    rec.force_language("de")
    stored = json.loads((folder / LANGUAGE_FRAMES_FILE).read_text())["frames"]["de"]
    assert torch.equal(rec.model.forced_frame, torch.tensor(stored))
    de = _log_probs(rec, wav)
    rec.force_language("en")
    en = _log_probs(rec, wav)
    assert not np.allclose(de, en, atol=1e-3) and not np.allclose(free, de, atol=1e-3)
    rec.force_language(None)
    np.testing.assert_allclose(_log_probs(rec, wav), free, atol=1e-6)


def test_forcing_the_utterances_own_pooled_frame_changes_nothing(ckpt):
    """What is forced goes exactly where the pooled frame went."""
    from sshr_cli.audio import load_audio

    folder, wav = ckpt
    rec = load_recognizer(folder)
    x, mask = rec.batch([load_audio(wav)])
    with torch.inference_mode():
        own = rec.model(x, mask).lid_frame[0]
    free = _log_probs(rec, wav)
    rec.model.force_language_frame(own)
    np.testing.assert_allclose(_log_probs(rec, wav), free, atol=1e-5)


def test_cli_lang_is_recorded_as_forced_in_json(ckpt):
    folder, wav = ckpt
    free = runner.invoke(app, ["decode", str(wav), "--model", str(folder), "--format", "json", "--device", "cpu"])
    forced = runner.invoke(app, ["decode", str(wav), "--model", str(folder), "--format", "json", "--device", "cpu",
                                 "--lang", "en"])
    assert free.exit_code == 0 and forced.exit_code == 0, free.output + forced.output
    free, forced = json.loads(free.stdout[free.stdout.index("{"):]), json.loads(forced.stdout[forced.stdout.index("{"):])
    assert free["language_source"] == "predicted" and free["language"] in LANGS
    assert forced["language_source"] == "forced" and forced["language"] == "en"
    assert "expected_language" not in forced


@pytest.mark.parametrize("lang, message", [("fr", "has language frames for de, en; pick one of those")])
def test_unknown_language_is_one_line(ckpt, lang, message):
    folder, wav = ckpt
    r = runner.invoke(app, ["decode", str(wav), "--model", str(folder), "--device", "cpu", "--lang", lang])
    assert r.exit_code != 0 and message in r.output and "Traceback" not in r.output
    with pytest.raises(ConfigError, match=message):
        load_recognizer(folder).force_language(lang)


def test_checkpoint_without_stored_frames_is_one_line(ckpt, tmp_path):
    import shutil

    folder, wav = ckpt
    bare = shutil.copytree(folder, tmp_path / "bare")
    (bare / LANGUAGE_FRAMES_FILE).unlink()
    with pytest.raises(CheckpointError, match=f"has no {LANGUAGE_FRAMES_FILE}, so it cannot force a language"):
        load_recognizer(bare).force_language("de")
    r = runner.invoke(app, ["decode", str(wav), "--model", str(bare), "--device", "cpu", "--lang", "de"])
    assert r.exit_code != 0 and "cannot force a language" in r.output and "Traceback" not in r.output


@pytest.mark.slow
def test_finetune_stores_each_languages_mean_frame(cv_corpus, tmp_path):
    """language_frames.json equals the mean pooled frame over each language's train utterances."""
    data = write_prepared(cv_corpus, tmp_path / "prepared")
    cfg = load_recipe("synthetic/tiny", ["train.max_steps=2", "train.eval_every=2", "data.max_batch_seconds=8"])
    finetune(FinetuneRequest(cfg, data, tmp_path / "run", "unused", None, show_progress=False))
    best = tmp_path / "run" / "best"
    stored = json.loads((best / LANGUAGE_FRAMES_FILE).read_text())
    rec = load_recognizer(best)
    from sshr_cli.audio import load_audio

    for lang in ("en", "de"):
        rows = load_manifest(data / lang / "train.jsonl")
        with torch.inference_mode():
            frames = [rec.model(*rec.batch([load_audio(r["audio_filepath"])])).lid_frame[0] for r in rows]
        assert stored["counts"][lang] == len(rows)
        np.testing.assert_allclose(stored["frames"][lang], torch.stack(frames).mean(0).numpy(), atol=1e-4)
