"""`sshr synth spellings`: two spellings of one speech, told apart only by a pitch offset."""

from sshr_cli.data.spellings import PITCH_OFFSET_XB, PITCH_XA, SPOKEN_AS, plan_spellings, respell


def test_respelling_swaps_letter_pairs_both_ways_and_is_its_own_inverse():
    assert respell("The cat sat.") == "Dhi kod zod."
    assert respell(respell("Forty-two quick zebras")) == "Forty-two quick zebras"


def test_both_languages_speak_english_with_one_voice_pool_and_disjoint_pitches():
    plans = plan_spellings(clips=20, speakers=10, seed=0)
    xa, xb = plans["xa"], plans["xb"]
    assert {c.voice for c in xa + xb} == {SPOKEN_AS} and {c.lang for c in xa} == {"xa"}
    assert all(c.spoken == c.sentence for c in xa) and all(c.sentence == respell(c.spoken) for c in xb)
    pitch_a, pitch_b = {c.speaker.pitch for c in xa}, {c.speaker.pitch for c in xb}
    assert max(pitch_a) <= PITCH_XA[1] < PITCH_XA[0] + PITCH_OFFSET_XB <= min(pitch_b)
    assert plan_spellings(clips=20, speakers=10, seed=0) == plans  # a pure function of the seed
    assert len({c.path for c in xa + xb}) == len(xa + xb)
