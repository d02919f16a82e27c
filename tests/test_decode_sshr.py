"""Decoding a real sshr checkpoint (SSHRForCTC with an LID head), saved the way finetune saves it."""

import json

import pytest
from typer.testing import CliRunner

from helpers_decode import CHAR_VOCAB, espeak
from sshr_cli.cli import app
from sshr_cli.decode import transcribe
from sshr_cli.decode.run import decode_manifest
from sshr_cli.io import read_jsonl, write_jsonl
from sshr_cli.text.vocab import Vocab


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from sshr_cli.model.config import SSHRConfig
    from sshr_cli.model.sshr import SSHRForCTC
    from sshr_cli.model.tiny import save_tiny_encoder

    root = tmp_path_factory.mktemp("sshr")
    encoder = save_tiny_encoder(root / "encoder")
    config = SSHRConfig(languages=("en", "de"), lid_layer=1, num_layers=3, cross_ctc_layers=(2, 3))
    model = SSHRForCTC.from_encoder(encoder, config, Vocab.from_mapping(CHAR_VOCAB))
    model.save_pretrained(root / "exp" / "run" / "best", extra={"unigrams.txt": "hello\nworld\n"})
    espeak("hello world", root / "a.wav")
    return root


@pytest.fixture(scope="module")
def lid_head(run_dir):
    """(language, probability) straight from the checkpoint's LID head on a.wav, for the decoders to match.

    With two languages any answer is in ("en", "de") with a probability in [0.5, 1]; only the head
    itself says which one is right."""
    from sshr_cli.audio import load_audio
    from sshr_cli.hub import load_recognizer

    rec = load_recognizer(run_dir / "exp" / "run")
    probs = rec([load_audio(run_dir / "a.wav")]).lid_probs[0]  # [n_langs]
    best = int(probs.argmax())
    assert rec.languages == ("en", "de") and abs(float(probs[0]) - float(probs[1])) > 1e-3  # a clear winner
    return rec.languages[best], float(probs[best])


def test_sshr_checkpoint_decodes_with_its_language(run_dir, lid_head):
    t = transcribe(run_dir / "exp" / "run", [run_dir / "a.wav"])[0]  # a run folder stands for best/
    assert t.error is None and (t.lang, t.lang_prob) == (lid_head[0], pytest.approx(lid_head[1], abs=1e-3))


def test_sshr_manifest_gets_pred_lang(run_dir, lid_head, tmp_path):
    write_jsonl(tmp_path / "m.jsonl", [{"id": "u", "audio_filepath": str(run_dir / "a.wav"), "duration": 1.7,
                                        "text": "hello world", "lang": "en"}])
    decode_manifest(run_dir / "exp" / "run", tmp_path / "m.jsonl", tmp_path / "h.jsonl")
    row = read_jsonl(tmp_path / "h.jsonl")[0]
    assert (row["pred_lang"], row["pred_lang_prob"]) == (lid_head[0], pytest.approx(lid_head[1], abs=1e-3))
    assert "pred_text" in row


def test_sshr_json_output_through_the_cli(run_dir, lid_head, monkeypatch):
    monkeypatch.chdir(run_dir)
    result = CliRunner().invoke(app, ["decode", "a.wav", "--model", "exp/run", "-f", "json"])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout)
    assert obj["language"] == lid_head[0] and obj["language_source"] == "predicted"  # --lang: test_decode_forced
    assert obj["language_probability"] == pytest.approx(lid_head[1], abs=1e-3)
    assert obj["decoder"]["type"] == "greedy" and obj["model"] == "exp/run"


def test_single_file_decode_says_the_detected_language_on_stderr(run_dir, lid_head, monkeypatch):
    from sshr_cli.text.languages import language_name

    monkeypatch.chdir(run_dir)
    result = CliRunner().invoke(app, ["decode", "a.wav", "--model", "exp/run"])
    assert result.exit_code == 0, result.output
    line = f"Detected language: {language_name(lid_head[0])} ({lid_head[1]:.2f})"
    assert line in result.stderr and "Detected" not in result.stdout  # stdout stays the transcript alone
    assert language_name(lid_head[0]) in ("English", "German")
