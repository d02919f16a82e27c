import numpy as np
import pytest
import soundfile as sf

from helpers_decode import espeak, lid_recognizer, tiny_ctc
from sshr_cli.decode import BeamOptions, DecodeOptions, transcribe
from sshr_cli.decode.run import decode_manifest, decode_paths, find_audio, units_are_phonemes
from sshr_cli.io import read_jsonl, write_jsonl
from sshr_cli.lm import build_lm


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("dec")
    model = tiny_ctc(root / "tiny")
    clips = [espeak(text, root / f"c{i}.wav") for i, text in
             enumerate(["hello world", "a much longer sentence than the first one", "yes"])]
    return root, model, clips


def test_batched_equals_one_by_one(setup):
    root, model, clips = setup
    together = transcribe(model, clips, DecodeOptions(max_batch_s=60))
    alone = [transcribe(model, [c])[0] for c in clips]
    assert [t.text for t in together] == [t.text for t in alone]
    assert [t.path for t in together] == [str(c) for c in clips]  # input order, whatever the batch order


def test_bad_inputs_are_skipped_with_a_reason(setup):
    root, model, clips = setup
    (root / "text.wav").write_text("not audio")
    sf.write(root / "tiny.wav", np.zeros(160, np.float32), 16_000)
    out = transcribe(model, [clips[0], root / "missing.wav", root / "text.wav", root / "tiny.wav"])
    assert out[0].error is None and out[0].text
    assert ["file not found" in out[1].error, "not readable audio" in out[2].error, "too short" in out[3].error] \
        == [True, True, True]


def test_language_id_is_reported_from_the_lid_head(setup):
    root, model, clips = setup
    t = transcribe(lid_recognizer(model), clips[:2])
    assert [x.lang for x in t] == ["en", "en"]
    assert t[0].lang_prob == pytest.approx(np.e / (1 + np.e), abs=1e-4)


def test_manifest_in_manifest_out(setup):
    root, model, clips = setup
    rows = [{"id": f"u{i}", "audio_filepath": str(c), "duration": 1.0, "text": "x", "lang": "en"}
            for i, c in enumerate(clips)] + \
           [{"id": "gone", "audio_filepath": str(root / "gone.wav"), "duration": 1.0, "text": "x", "lang": "en"}]
    write_jsonl(root / "test.jsonl", rows)
    report = decode_manifest(lid_recognizer(model), root / "test.jsonl", root / "hyps.jsonl")
    hyps = read_jsonl(root / "hyps.jsonl")
    assert [h["id"] for h in hyps] == ["u0", "u1", "u2"] and report.skipped == [f"gone: {root / 'gone.wav'}: file not found"]
    assert all("pred_text" in h and h["text"] == "x" for h in hyps)
    assert "pred_units" not in hyps[0]  # a character model
    assert hyps[0]["pred_lang"] == "en" and 0.7 < hyps[0]["pred_lang_prob"] < 0.75


def test_files_and_folders_to_transcript_files(setup, tmp_path):
    root, model, clips = setup
    (tmp_path / "in" / "sub").mkdir(parents=True)
    for c in clips[:2]:
        (tmp_path / "in" / "sub" / c.name).write_bytes(c.read_bytes())
    (tmp_path / "empty").mkdir()
    report = decode_paths(model, [tmp_path / "in", tmp_path / "empty", clips[2]], tmp_path / "out", ("txt", "srt"))
    assert report.done == 3 and len(report.skipped) == 1 and "no audio files" in report.skipped[0]
    assert (tmp_path / "out" / "in" / "sub" / "c0.srt").is_file() and (tmp_path / "out" / "c2.txt").is_file()


def test_same_names_do_not_overwrite(tmp_path):
    (tmp_path / "x").mkdir()
    found, _ = find_audio([tmp_path / "a.wav", tmp_path / "x" / "a.wav"])
    assert [str(stem) for _, stem in found] == ["a", "a-2"]


def test_beam_with_lm_through_a_spawn_pool(setup):
    root, model, clips = setup
    corpus = root / "corpus.txt"
    corpus.write_text("hello world\nyes\n", encoding="utf-8")
    lm = build_lm([corpus], root / "lm.arpa").arpa
    beam = BeamOptions(lm_path=str(lm), beam_width=8, workers=2)
    out = transcribe(model, clips, DecodeOptions(beam=beam))
    assert all(t.error is None for t in out)
    # a random model's beam output is arbitrary, but the LM restricts it to the LM's words
    assert all(t.words for t in out) and {w.text for t in out for w in t.words} <= {"hello", "world", "yes"}
    assert all(t.text == " ".join(w.text for w in t.words) for t in out)
    assert out[0].words and all(w.start_s <= w.end_s <= out[0].duration_s for w in out[0].words)
    # the spawned workers decode exactly as this process does
    in_process = transcribe(model, clips, DecodeOptions(beam=BeamOptions(lm_path=str(lm), beam_width=8, workers=0)))
    assert [(t.text, t.words) for t in out] == [(t.text, t.words) for t in in_process]


def test_phoneme_vocab_is_recognised():
    from types import SimpleNamespace

    from sshr_cli.text.vocab import Vocab

    chars = SimpleNamespace(vocab=Vocab(("<pad>", "<unk>", "|", "a", "ä", "b")), meta={})
    phones = SimpleNamespace(vocab=Vocab(("<pad>", "<unk>", "|", "a", "ʃ", "b")), meta={})
    assert not units_are_phonemes(chars) and units_are_phonemes(phones)
