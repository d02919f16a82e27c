"""Any HF CTC checkpoint decodes: the vocabulary and tokenizer layouts public models use.

Each folder is a tiny random model written by transformers itself (model.save_pretrained and
Wav2Vec2Processor.save_pretrained); the reference transcript is what transformers' own processor
decodes from the same logits.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers_decode import espeak, frame_log_probs, spell
from sshr_cli.audio import load_audio
from sshr_cli.decode import transcribe
from sshr_cli.decode.backends import BeamOptions, BeamSpec
from sshr_cli.decode.greedy import greedy_decode
from sshr_cli.errors import CheckpointError
from sshr_cli.text.vocab import Vocab

LETTERS = "abcdeghilmnorstw"


def _save(folder, model, vocab: dict, **tokenizer):
    from transformers import Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2Processor

    from sshr_cli.io import write_json

    model.save_pretrained(folder)
    write_json(folder / "vocab.json", vocab)
    tok = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), **tokenizer)
    fe = Wav2Vec2FeatureExtractor(sampling_rate=16_000, do_normalize=True, return_attention_mask=True)
    Wav2Vec2Processor(feature_extractor=fe, tokenizer=tok).save_pretrained(folder)
    return folder


def _ctc(model_type: str, vocab: dict, pad: str, seed: int = 0, **extra):
    from transformers import AutoConfig, AutoModelForCTC

    from sshr_cli.model.tiny import TINY_ENCODER

    torch.manual_seed(seed)
    config = AutoConfig.for_model(model_type, **{**TINY_ENCODER, "vocab_size": len(vocab),
                                                 "pad_token_id": vocab[pad], **extra})
    model = AutoModelForCTC.from_config(config)
    with torch.no_grad():  # a head that favours letters and the delimiter, so transcripts are not empty
        model.lm_head.bias[vocab[pad]] -= 2.0
    return model


def blog_layout(folder):
    """The HF fine-tuning blog: letters, '|', then [UNK] and [PAD] last (pad_token_id = len - 1)."""
    vocab = {c: i for i, c in enumerate(LETTERS + "|")}
    vocab.update({"[UNK]": len(vocab), "[PAD]": len(vocab) + 1})
    return _save(folder, _ctc("wav2vec2", vocab, "[PAD]"), vocab, unk_token="[UNK]", pad_token="[PAD]",
                 word_delimiter_token="|")


def upper_case_layout(folder):
    """facebook/wav2vec2-base-960h: <pad> <s> </s> <unk> |, upper-case letters, do_lower_case."""
    vocab = {t: i for i, t in enumerate(["<pad>", "<s>", "</s>", "<unk>", "|", *LETTERS.upper(), "'"])}
    return _save(folder, _ctc("wav2vec2", vocab, "<pad>"), vocab, do_lower_case=True, word_delimiter_token="|")


def delimiter_layout(folder, model_type="wav2vec2"):
    """Another word delimiter ('▁') and blank in the middle."""
    tokens = [*LETTERS[:8], "<pad>", *LETTERS[8:], "▁", "<unk>"]
    vocab = {t: i for i, t in enumerate(tokens)}
    return _save(folder, _ctc(model_type, vocab, "<pad>"), vocab, pad_token="<pad>", word_delimiter_token="▁")


def _reference(folder, clips):
    """transformers' own greedy transcripts (lower-cased, as sshr writes text)."""
    from transformers import AutoModelForCTC, Wav2Vec2Processor

    model, processor = AutoModelForCTC.from_pretrained(folder).eval(), Wav2Vec2Processor.from_pretrained(folder)
    out = []
    for clip in clips:
        inputs = processor(load_audio(clip), sampling_rate=16_000, return_tensors="pt")
        with torch.no_grad():
            ids = model(**inputs).logits.argmax(-1)[0]
        out.append(" ".join(processor.decode(ids).replace("▁", " ").lower().split()))  # hubert: the tokenizer keeps ▁
    return out


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("clips")
    return [espeak(s, root / f"c{i}.wav") for i, s in enumerate(("hello world", "a cat on the mat"))]


@pytest.mark.parametrize("layout", [blog_layout, upper_case_layout, delimiter_layout], ids=lambda f: f.__name__)
def test_layout_decodes_as_transformers_does(layout, clips, tmp_path):
    folder = layout(tmp_path / "m")
    ours = [t.text for t in transcribe(folder, clips)]
    assert ours == _reference(folder, clips) and any(ours)


@pytest.mark.parametrize("model_type", ["hubert", "data2vec-audio"])
def test_other_ctc_heads_decode(model_type, clips, tmp_path):
    folder = delimiter_layout(tmp_path / "m", model_type)
    ours = transcribe(folder, clips)
    assert [t.text for t in ours] == _reference(folder, clips)
    words = [w for t in ours for w in t.words]
    assert words and all(0 <= w.start_s < w.end_s for w in words)


def test_blank_last_in_every_decoder():
    """[PAD] last: greedy, pyctcdecode and flashlight all read it as the blank."""
    vocab = Vocab.from_mapping({**{c: i for i, c in enumerate("abcdehlorw|")}, "[UNK]": 11, "[PAD]": 12},
                               pad_token="[PAD]")
    assert vocab.blank_id == 12
    mapping = {("<pad>" if t == "[PAD]" else t): i for i, t in enumerate(vocab.tokens)}  # '_' frames go to "<pad>"
    log_probs = frame_log_probs(spell("hello world"), mapping)
    for backend in ("greedy", "pyctcdecode", "flashlight"):
        if backend == "greedy":
            best = greedy_decode(log_probs, vocab)
        else:
            best = BeamSpec.create(vocab, BeamOptions(backend=backend, beam_width=8)).build().decode(log_probs)[0]
        assert best.text == "hello world", backend
        assert [w[0] for w in best.words] == ["hello", "world"] and best.words[0][1] < best.words[1][1], backend


@pytest.fixture(scope="module")
def mms_folder(tmp_path_factory):
    """facebook/mms-1b-all's layout: vocab.json keyed by language, adapter.<lang>.safetensors."""
    from safetensors.torch import save_file

    folder = tmp_path_factory.mktemp("mms")
    vocabs = {"eng": {t: i for i, t in enumerate(["<pad>", "<s>", "</s>", "<unk>", "|", *"ehlowrd"])},
              "fra": {t: i for i, t in enumerate(["<pad>", "<s>", "</s>", "<unk>", "|", *"bjnoursé"])}}
    model = _ctc("wav2vec2", vocabs["eng"], "<pad>", adapter_attn_dim=8)
    _save(folder, model, vocabs["eng"])
    from sshr_cli.io import write_json

    write_json(folder / "vocab.json", vocabs)
    for i, (lang, vocab) in enumerate(vocabs.items()):
        torch.manual_seed(10 + i)
        other = _ctc("wav2vec2", vocab, "<pad>", adapter_attn_dim=8)
        adapter = {k: v.contiguous() for k, v in other.state_dict().items() if "adapter_layer" in k or "lm_head" in k}
        save_file(adapter, str(folder / f"adapter.{lang}.safetensors"))
    return folder


def test_mms_lang_loads_that_adapter_and_vocabulary(mms_folder, clips):
    from transformers import AutoProcessor, Wav2Vec2ForCTC

    from sshr_cli.hub import load_recognizer

    rec = load_recognizer(mms_folder, lang="fra")
    assert len(rec.vocab) == 13 and "é" in rec.vocab.tokens
    reference = Wav2Vec2ForCTC.from_pretrained(mms_folder, target_lang="fra", ignore_mismatched_sizes=True).eval()
    processor = AutoProcessor.from_pretrained(mms_folder, target_lang="fra")
    inputs = processor(load_audio(clips[0]), sampling_rate=16_000, return_tensors="pt")
    with torch.no_grad():
        ids = reference(**inputs).logits.argmax(-1)[0]
    expected = " ".join(processor.decode(ids).split())
    assert transcribe(rec, clips[:1])[0].text == expected


def test_mms_without_lang_lists_the_languages(mms_folder, clips):
    from typer.testing import CliRunner

    from sshr_cli.cli import app

    result = CliRunner().invoke(app, ["decode", str(clips[0]), "--model", str(mms_folder)])
    assert result.exit_code != 0
    line = result.output.strip()
    assert "--lang" in line and "eng, fra" in line and "\n" not in line and "Traceback" not in line
    with pytest.raises(CheckpointError, match="no language 'deu'"):
        Vocab.load(mms_folder, lang="deu")


def test_mms_lang_through_the_cli(mms_folder, clips):
    from typer.testing import CliRunner

    from sshr_cli.cli import app

    result = CliRunner().invoke(app, ["decode", str(clips[0]), "--model", str(mms_folder), "--lang", "fra"])
    assert result.exit_code == 0, result.output
    assert set(result.stdout.strip().replace("<unk>", "")) <= set("bjnoursé ")  # French adapter's letters
