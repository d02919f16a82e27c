"""`sshr synth spellings`: two spellings of one speech, told apart only by the voice variant."""

from sshr_cli.data.spellings import SPOKEN_AS, VARIANTS_XA, VARIANTS_XB, plan_spellings, respell


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
