"""`sshr synth spellings`: two spellings of one speech, told apart only by a cue (voice variant or tone)."""

from dataclasses import replace

import numpy as np
import pytest

from sshr_cli.data.spellings import SPOKEN_AS, TONE_HZ, VARIANTS_XA, VARIANTS_XB, plan_spellings, respell
from sshr_cli.data.synthetic import TONE_SECONDS, render_clip
from sshr_cli.errors import ConfigError


def test_respelling_swaps_letter_pairs_both_ways_and_is_its_own_inverse():
    assert respell("The cat sat.") == "Dhi kod zod."
    assert respell(respell("Forty-two quick zebras")) == "Forty-two quick zebras"


def test_both_languages_speak_english_and_differ_in_the_voice_variant_only():
    plans = plan_spellings(clips=20, speakers=10, seed=0)
    xa, xb = plans["xa"], plans["xb"]
    assert {c.voice for c in xa + xb} == {SPOKEN_AS} and {c.lang for c in xa} == {"xa"}
    assert all(c.spoken == c.sentence for c in xa) and all(c.sentence == respell(c.spoken) for c in xb)
    variants_a, variants_b = {c.speaker.variant for c in xa}, {c.speaker.variant for c in xb}
    assert variants_a <= set(VARIANTS_XA) and variants_b <= set(VARIANTS_XB) and not variants_a & variants_b
    for split in ("train", "test"):  # the cue is shared by several voices in every split, not one speaker's
        assert len({c.speaker.variant for c in xb if c.split == split}) > 1
    for c in xa + xb:  # a speaker keeps one variant
        assert len({d.speaker.variant for d in xa + xb if d.speaker.client_id == c.speaker.client_id}) == 1
    assert plan_spellings(clips=20, speakers=10, seed=0) == plans  # a pure function of the seed
    assert len({c.path for c in xa + xb}) == len(xa + xb)


def test_the_tone_cue_keeps_the_voices_alike_and_starts_each_clip_with_its_language_tone():
    plans = plan_spellings(clips=20, speakers=10, seed=0, cue="tone")
    xa, xb = plans["xa"], plans["xb"]
    assert {c.tone_hz for c in xa} == {TONE_HZ["xa"]} and {c.tone_hz for c in xb} == {TONE_HZ["xb"]}
    voices = {lang: sorted({(c.speaker.client_id, c.speaker.variant) for c in plan}) for lang, plan in plans.items()}
    assert sorted(v for _, v in voices["xa"]) == sorted(v for _, v in voices["xb"])  # the same variants, once each
    assert all(c.sentence == respell(c.spoken) for c in xb)
    assert {c.tone_hz for c in plan_spellings(clips=20, speakers=10, seed=0)["xb"]} == {0.0}  # variant: no tone
    with pytest.raises(ConfigError, match="unknown cue 'pitch'; expected --cue variant or tone"):
        plan_spellings(clips=20, speakers=10, seed=0, cue="pitch")


def test_a_rendered_clip_starts_with_its_tone_then_speech(tmp_path):
    import soundfile as sf

    clip = plan_spellings(clips=6, speakers=3, seed=0, cue="tone")["xb"][0]
    render_clip(clip, tmp_path)
    audio, sr = sf.read(tmp_path / clip.path, dtype="float32")
    head = audio[: int(TONE_SECONDS * sr)]
    spectrum = np.abs(np.fft.rfft(head))
    peak_hz = np.argmax(spectrum) * sr / len(head)
    assert abs(peak_hz - TONE_HZ["xb"]) < 20
    silent = render_clip(replace(clip, tone_hz=0.0, path="silent.mp3"), tmp_path)
    quiet, _ = sf.read(tmp_path / "silent.mp3", dtype="float32")
    assert silent > 0 and np.sqrt(np.mean(quiet[: len(head)] ** 2)) < 0.1 * np.sqrt(np.mean(head ** 2))
