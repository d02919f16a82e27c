"""sshr_cli.load_model(...).transcribe(...): the same transcripts as `sshr decode`."""

from __future__ import annotations

import json

import pytest
import torch
from typer.testing import CliRunner

import sshr_cli
from helpers_decode import CHAR_VOCAB, espeak
from sshr_cli.audio import load_audio
from sshr_cli.cli import app
from sshr_cli.errors import CheckpointError, ConfigError, DataError
from sshr_cli.text.vocab import Vocab


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from sshr_cli.model.config import SSHRConfig
    from sshr_cli.model.sshr import SSHRForCTC
    from sshr_cli.model.tiny import save_tiny_encoder

    root = tmp_path_factory.mktemp("api")
    torch.manual_seed(0)
    config = SSHRConfig(languages=("en", "de"), lid_layer=1, num_layers=3, cross_ctc_layers=(2, 3))
    model = SSHRForCTC.from_encoder(save_tiny_encoder(root / "encoder"), config, Vocab.from_mapping(CHAR_VOCAB))
    model.save_pretrained(root / "exp" / "run" / "best")
    clips = [espeak(s, root / f"c{i}.wav") for i, s in enumerate(("hello world", "good morning", "seven"))]
    return root / "exp" / "run", clips


def _cli_json(model, clip) -> dict:
    result = CliRunner().invoke(app, ["decode", str(clip), "--model", str(model), "-f", "json", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_transcribe_equals_sshr_decode(run):
    folder, clips = run
    model = sshr_cli.load_model(folder, device="cpu")
    for clip in clips:
        ours, cli = model.transcribe(clip), _cli_json(folder, clip)
        assert ours.text == cli["text"] and ours.language == cli["language"]
        assert [(w.text, w.start_s, w.end_s) for w in ours.words] == \
            [(w["word"], w["start"], w["end"]) for w in cli["words"]]
        assert 0.5 <= ours.language_probability <= 1.0


def test_array_and_batch_forms_agree(run):
    folder, clips = run
    model = sshr_cli.load_model(folder, device="cpu")
    single = [model.transcribe(c).text for c in clips]
    assert [r.text for r in model.transcribe_batch(clips)] == single
    assert model.transcribe(load_audio(clips[0])).text == single[0]


def test_bad_inputs_say_what_was_expected(run, tmp_path):
    folder, clips = run
    model = sshr_cli.load_model(folder, device="cpu")
    missing = tmp_path / "nope.wav"
    results = model.transcribe_batch([clips[0], missing])
    assert results[0].error is None and "nope.wav" in results[1].error
    with pytest.raises(DataError, match="nope.wav"):
        model.transcribe(missing)
    with pytest.raises(DataError, match="mono wave"):
        model.transcribe(load_audio(clips[0]).reshape(2, -1))
    with pytest.raises(CheckpointError, match="no language_frames.json, so it cannot force a language"):
        model.transcribe(clips[0], lang="fra")  # an SSHR checkpoint: lang forces its language frame
