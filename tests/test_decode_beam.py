import numpy as np
import pytest

from helpers_decode import CHAR_VOCAB, frame_log_probs, spell
from sshr_cli.decode.backends import BeamOptions, BeamPool, BeamSpec
from sshr_cli.decode.backends.common import find_unigrams, merge_static_frames
from sshr_cli.decode.backends.pyctcdecode import pyctcdecode_labels
from sshr_cli.decode.greedy import greedy_decode
from sshr_cli.errors import ConfigError
from sshr_cli.lm import build_lm
from sshr_cli.text.vocab import Vocab

VOCAB = Vocab.from_mapping(CHAR_VOCAB)
# "bugs bunny" where the blank between the two n's is less likely than a third n: greedy says "buny"
BUGS_BUNNY = spell("bugs") + ["|", "_", "b", "u", "n", {"n": 0.6, "_": 0.4}, "n", "y", "_"]


@pytest.fixture(scope="module")
def bunny_lm(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lm")
    corpus = folder / "corpus.txt"
    corpus.write_text("bugs bunny\nbugs bunny is a rabbit\nthe bunny eats\n", encoding="utf-8")
    return str(build_lm([corpus], folder / "lm.arpa").arpa)


BACKENDS = ["pyctcdecode", "flashlight"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_lm_fixes_a_greedy_error(bunny_lm, backend):
    logits = frame_log_probs(BUGS_BUNNY)
    assert greedy_decode(logits, VOCAB).text == "bugs buny"
    spec = BeamSpec.create(VOCAB, BeamOptions(lm_path=bunny_lm, workers=0, backend=backend))
    assert spec.backend == backend
    best = spec.build().decode(logits)[0]
    assert best.text == "bugs bunny"
    assert best.units == tuple("bugs") + ("|",) + tuple("bunny")
    assert [w for w, _, _ in best.words] == ["bugs", "bunny"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_lm_beam_agrees_with_greedy_here(backend):
    logits = frame_log_probs(BUGS_BUNNY)
    decoder = BeamSpec.create(VOCAB, BeamOptions(backend=backend)).build()
    assert decoder.decode(logits)[0].text == "bugs buny"


def test_hotwords_pull_the_search_towards_a_word():
    logits = frame_log_probs(BUGS_BUNNY)
    decoder = BeamSpec.create(VOCAB, BeamOptions(hotwords=("bunny",))).build()
    assert decoder.decode(logits)[0].text == "bugs bunny"


@pytest.mark.parametrize("backend", BACKENDS)
def test_nbest_gives_distinct_hypotheses_best_first(backend):
    frames = ["_", {"c": 0.6, "k": 0.4}, "_", "a", "_", {"t": 0.7, "d": 0.3}, "_"]
    decoder = BeamSpec.create(VOCAB, BeamOptions(nbest=3, backend=backend)).build()
    hyps = decoder.decode(frame_log_probs(frames))
    assert [h.text for h in hyps] == ["cat", "kat", "cad"]
    assert hyps[0].score >= hyps[1].score >= hyps[2].score


def _peaky(rng, n_frames=400, vocab_size=len(CHAR_VOCAB)):
    """Trained-model-like posteriors: mostly confident blanks, some confident or uncertain tokens."""
    frames = []
    for _ in range(n_frames):
        r = rng.random()
        if r < 0.7:
            frames.append("_")
        elif r < 0.9:
            frames.append(str(rng.choice(list("abcdefgh|"))))
        else:
            a, b = rng.choice(list("abcdefgh_"), size=2, replace=False)
            frames.append({str(a): 0.55, str(b): 0.45})
    return frame_log_probs(frames)


def test_merging_static_frames_changes_nothing_but_speed():
    """Frames that can only extend every beam by the same token shift all scores equally."""
    from pyctcdecode.alphabet import Alphabet
    from pyctcdecode.decoder import BeamSearchDecoderCTC

    rng = np.random.default_rng(0)
    plain = BeamSearchDecoderCTC(Alphabet.build_alphabet(list(pyctcdecode_labels(VOCAB))))
    ours = BeamSpec.create(VOCAB, BeamOptions(beam_width=16, backend="pyctcdecode")).build()
    for _ in range(5):
        logits = _peaky(rng)
        kept, starts, ends = merge_static_frames(logits)
        assert len(kept) < 0.6 * len(logits)
        assert ends[-1] == len(logits) and (starts[1:] == ends[:-1]).all()
        reference = plain.decode_beams(logits, beam_width=16)[0]
        hyp = ours.decode(logits)[0]
        assert hyp.text == reference[0]
        assert [(w, s, e) for w, s, e in hyp.words] == [(w, s, e) for w, (s, e) in reference[2]]  # every word


@pytest.mark.parametrize("backend", BACKENDS)
def test_spawn_pool_decodes_in_parallel_like_in_process(bunny_lm, backend):
    """pyctcdecode falls back to sequential under spawn; our pool builds a decoder in each worker."""
    spec = BeamSpec.create(VOCAB, BeamOptions(lm_path=bunny_lm, start_method="spawn", backend=backend))
    logits = [frame_log_probs(BUGS_BUNNY), frame_log_probs(spell("the bunny eats"))]
    with BeamPool(spec, workers=2) as pool:
        assert pool._pool is not None
        texts = [f.result().pop(0).text for f in [pool.submit(x) for x in logits]]
    assert texts == ["bugs bunny", "the bunny eats"]


def test_lm_that_does_not_match_the_vocabulary_warns(tmp_path):
    corpus = tmp_path / "upper.txt"
    corpus.write_text("ÉTÉ ÇA\nNOËL À\n", encoding="utf-8")
    lm = build_lm([corpus], tmp_path / "fr.arpa").arpa
    spec = BeamSpec.create(VOCAB, BeamOptions(lm_path=str(lm)))
    assert "does not match" in spec.warnings[0]
    assert spec.backend == "pyctcdecode" and "none of the LM's words can be spelled" in spec.warnings[1]


def test_unigrams_come_from_the_checkpoint_for_a_binary_lm(tmp_path):
    binary = tmp_path / "lm.bin"
    binary.write_bytes(b"mmap lm http://kheafield.com/code format version 5\x00\x00")
    (tmp_path / "unigrams.txt").write_text("bugs\nbunny\n", encoding="utf-8")
    assert find_unigrams(str(binary), tmp_path) == (("bugs", "bunny"), str(tmp_path / "unigrams.txt"))
    assert find_unigrams(str(binary), None) == (None, "")


def test_bad_options_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="--nbest"):
        BeamOptions(nbest=10, beam_width=4).check()
    with pytest.raises(ConfigError, match="not found"):
        BeamOptions(lm_path=str(tmp_path / "nope.arpa")).check()
    with pytest.raises(ConfigError, match="--decoder must be one of auto, pyctcdecode, flashlight"):
        BeamOptions(backend="kaldi").check()


def test_both_backends_give_the_same_transcripts_and_word_frames(tmp_path):
    sentences = ["the cat sat on the mat", "a dog ate the bone", "the dog sat on a cat"]
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    lm = str(build_lm([corpus], tmp_path / "lm.arpa").arpa)
    fuzzy = [{"c": 0.45, "k": 0.55} if f == "c" else f for f in spell("the cat sat on the mat")]
    cases = [frame_log_probs(spell(s)) for s in sentences] + [frame_log_probs(fuzzy)]
    hyps = {}
    for backend in BACKENDS:
        decoder = BeamSpec.create(VOCAB, BeamOptions(lm_path=lm, backend=backend)).build()
        hyps[backend] = [decoder.decode(x)[0] for x in cases]
    assert greedy_decode(cases[-1], VOCAB).text == "the kat sat on the mat"
    assert [h.text for h in hyps["flashlight"]] == sentences + ["the cat sat on the mat"]
    assert [(h.units, h.words) for h in hyps["flashlight"]] == [(h.units, h.words) for h in hyps["pyctcdecode"]]


def test_flashlight_emits_only_lm_words_where_pyctcdecode_may_not(tmp_path):
    """A last word between two spellings: pyctcdecode can end on a non-word, the lexicon search cannot."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat\n", encoding="utf-8")
    lm = str(build_lm([corpus], tmp_path / "lm.arpa").arpa)
    logits = frame_log_probs([{"t": 0.5, "d": 0.5} if f == "t" else f for f in spell("the cat sat on the mat")])
    decoder = BeamSpec.create(VOCAB, BeamOptions(lm_path=lm, backend="flashlight")).build()
    assert decoder.decode(logits)[0].text == "the cat sat on the mat"


def test_auto_picks_flashlight_unless_hotwords_ask_for_pyctcdecode(bunny_lm):
    spec = BeamSpec.create(VOCAB, BeamOptions(lm_path=bunny_lm))
    assert spec.backend == "flashlight"
    with BeamPool(spec) as pool:
        assert pool.workers == 0  # flashlight: in this process unless workers are asked for
    spec = BeamSpec.create(VOCAB, BeamOptions(lm_path=bunny_lm, hotwords=("bunny",)))
    assert spec.backend == "pyctcdecode" and "no hotwords" in spec.warnings[-1]


def test_flashlight_refuses_what_it_cannot_do(tmp_path):
    with pytest.raises(ConfigError, match="--decoder flashlight: flashlight has no hotwords"):
        BeamSpec.create(VOCAB, BeamOptions(hotwords=("bunny",), backend="flashlight"))
    binary = tmp_path / "lm.bin"
    binary.write_bytes(b"mmap lm http://kheafield.com/code format version 5\x00\x00")
    with pytest.raises(ConfigError, match="word list"):
        BeamSpec.create(VOCAB, BeamOptions(lm_path=str(binary), backend="flashlight"))
    assert BeamSpec.create(VOCAB, BeamOptions(lm_path=str(binary))).backend == "pyctcdecode"


def test_lexicon_keeps_only_words_the_model_can_spell():
    from sshr_cli.decode.backends.flashlight import lexicon

    assert lexicon(("bunny", "ÉTÉ", "o'clock"), VOCAB) == {"bunny": tuple("bunny"), "o'clock": tuple("o'clock")}
