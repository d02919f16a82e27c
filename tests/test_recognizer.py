"""Loading a Recognizer: the units a checkpoint recorded, and the device check."""

import pytest

from helpers_model import SMALL_SSHR, tiny_model
from sshr_cli.errors import ConfigError
from sshr_cli.hub import load_recognizer
from sshr_cli.model.inference import resolve_device
from sshr_cli.text.vocab import Vocab

IPA_LETTER_CHARS = Vocab(("<pad>", "<unk>", "|", "a", "ɛ", "ɔ"))  # letters of several African orthographies


def test_recorded_units_beat_the_vocabulary_guess(tmp_path):
    from sshr_cli.decode.run import units_are_phonemes

    model = tiny_model(tmp_path, vocab=IPA_LETTER_CHARS, **SMALL_SSHR)
    model.save_pretrained(tmp_path / "ckpt", extra={"train_summary.json": {"units": "chars", "step": 1}})
    rec = load_recognizer(tmp_path / "ckpt")
    assert rec.meta["units"] == "chars"
    assert not units_are_phonemes(rec)  # the symbols alone would say phonemes


@pytest.mark.parametrize("name", ["foo", "tpu"])
def test_bad_device_is_a_config_error(name):
    with pytest.raises(ConfigError, match="use cpu"):
        resolve_device(name)


def test_cuda_without_a_gpu_is_a_config_error(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # runs on GPU machines too, not skipped
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        resolve_device("cuda")
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        resolve_device("cuda:1")
    assert resolve_device("auto") == "cpu"
