import numpy as np

from helpers_decode import CHAR_VOCAB, frame_log_probs, spell
from sshr_cli.decode.greedy import collapse, greedy_decode, split_word_units
from sshr_cli.decode.timestamps import frames_to_seconds
from sshr_cli.text.vocab import Vocab

VOCAB = Vocab.from_mapping(CHAR_VOCAB)


def test_exact_transcript_from_hand_made_logits():
    hyp = greedy_decode(frame_log_probs(spell("hello world")), VOCAB)
    assert hyp.text == "hello world"
    assert hyp.units == tuple("hello") + ("|",) + tuple("world")


def test_repeats_merge_unless_a_blank_separates_them():
    assert greedy_decode(frame_log_probs(["a", "a", "a", "_"]), VOCAB).text == "a"
    assert greedy_decode(frame_log_probs(["a", "_", "a", "b", "b"]), VOCAB).text == "aab"


def test_word_frames_span_first_to_last_unit():
    # frames: 0 blank, 1-2 'h', 3 blank, 4 'i', 5 '|', 6 'y', 7 'o', 8 'o', 9 blank
    hyp = greedy_decode(frame_log_probs(["_", "h", "h", "_", "i", "|", "y", "o", "o", "_"]), VOCAB)
    assert hyp.words == (("hi", 1, 5), ("yo", 6, 9))
    assert frames_to_seconds(6, 0.02) == 0.12


def test_uncertain_frames_take_the_argmax():
    frames = ["_", {"c": 0.6, "k": 0.4}, "_", "a", "_", {"t": 0.45, "d": 0.55}, "_"]
    assert greedy_decode(frame_log_probs(frames), VOCAB).text == "cad"


def test_all_blank_and_empty_input_give_no_words():
    assert greedy_decode(frame_log_probs(["_"] * 5), VOCAB).text == ""
    assert collapse(np.zeros(0, dtype=np.int32), VOCAB).words == ()


def test_phoneme_words_are_units_between_separators():
    vocab = Vocab.from_mapping({"<pad>": 0, "<unk>": 1, "|": 2, "h": 3, "ə": 4, "l": 5, "oʊ": 6, "tʃ": 7})
    ids = np.array([3, 0, 4, 5, 0, 6, 2, 7, 7], dtype=np.int32)
    hyp = collapse(ids, vocab)
    assert hyp.units == ("h", "ə", "l", "oʊ", "|", "tʃ")
    assert hyp.text == "həloʊ tʃ"
    assert split_word_units("həloʊ", vocab) == ("h", "ə", "l", "oʊ")
