"""A controlled task where only the utterance's language resolves the transcript: two spellings of one speech.

    generate_spellings(OUT, clips_per_lang=100, seed=0)               # the cue: the voice variant
    generate_spellings(OUT, clips_per_lang=100, seed=0, cue="tone")   # the cue: a tone before the speech

Two pseudo-languages, `xa` and `xb`, in Common Voice layout. Both are English sentences spoken by
espeak-ng's English voice (one phone inventory, the same pitch and speed ranges); `xa` writes them
in English spelling, `xb` in a respelling (SPELLING_XB: six letter pairs swapped, so the same
sounds take other letters, and the letter set is the same). The only thing in the audio that
tells the two apart is a cue, one of CUES:
- `variant`: `xa` speakers use the English voice's male variants (VARIANTS_XA), `xb` speakers its
  female ones (VARIANTS_XB). The cue is in every voiced frame, so a model can pick the spelling
  frame by frame.
- `tone`: both languages draw their voices alike (every variant once per ten speakers); each clip
  starts with a short tone (TONE_HZ: 500 Hz for `xa`, 1 kHz for `xb`) in the silence before the
  speech. Frames of speech carry no cue; only context reaching back to the utterance's start tells
  which spelling to write: the case an utterance-level language frame is for.
A character model that ignores the cue cannot know which spelling to write. Prepare with
`--units chars`.

Why not a pitch offset (the first design): espeak-ng's `-p` moves pitch within a variant, and the
variants differ by more than any offset. Measured median F0 of one sentence: m1 at -p 65 is 107 Hz,
f2 at -p 30 is 160 Hz, so "xb is pitched up" was false across speakers, and the synthetic recipe's
tiny encoder learned the language at chance. Male and female variants differ for every speaker:
70-140 Hz against 130-270 Hz over -p 20-80, and in their formants.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from sshr_cli.data.synthetic import (DEFAULT_SPEAKERS_PER_LANG, DEFAULT_VERSION, ESPEAK_VARIANTS, Clip,
                                     _check_espeak, plan_language, write_corpus)
from sshr_cli.errors import ConfigError

SPELLING_LANGS = ("xa", "xb")  # xa: English spelling; xb: the respelling
SPOKEN_AS = "en"  # the espeak-ng voice and the sentence list both use
SWAPPED_PAIRS = ("ao", "ei", "ck", "sz", "fv", "td")  # xb swaps these letters (both ways)
SPELLING_XB = str.maketrans({**{a: b for a, b in SWAPPED_PAIRS}, **{b: a for a, b in SWAPPED_PAIRS},
                             **{a.upper(): b.upper() for a, b in SWAPPED_PAIRS},
                             **{b.upper(): a.upper() for a, b in SWAPPED_PAIRS}})
VARIANTS_XA = tuple(v for v in ESPEAK_VARIANTS if v.startswith("m"))  # xa speakers: male variants
VARIANTS_XB = tuple(v for v in ESPEAK_VARIANTS if v.startswith("f"))  # xb speakers: female variants (the cue)
TONE_HZ = {"xa": 500.0, "xb": 1000.0}  # cue "tone": the tone each language's clips start with
CUES = ("variant", "tone")


def respell(sentence: str) -> str:
    """English spelling -> xb's spelling (a letter-pair swap; everything else unchanged)."""
    return sentence.translate(SPELLING_XB)


def plan_spellings(clips: int, speakers: int, seed: int, cue: str = "variant") -> dict[str, list[Clip]]:
    """xa's and xb's clips: the same English sentence plan, pitch and speed ranges; xb respelled;
    the languages told apart by `cue` (CUES). The two draw different sentence orders, so a sentence
    may be xa in one split and xb in another."""
    if cue not in CUES:
        raise ConfigError(f"unknown cue '{cue}'; expected --cue {' or '.join(CUES)}")
    plans = {}
    for k, lang in enumerate(SPELLING_LANGS):
        base = plan_language(SPOKEN_AS, clips, speakers, seed * 2 + k)  # one sentence order per language
        variants = ESPEAK_VARIANTS if cue == "tone" else VARIANTS_XA if lang == "xa" else VARIANTS_XB
        rng = random.Random(f"{seed}/{lang}/variant")
        ids = sorted({c.speaker.client_id for c in base})
        variant_of = {cid: variants[i % len(variants)] for i, cid in enumerate(rng.sample(ids, len(ids)))}
        tone = TONE_HZ[lang] if cue == "tone" else 0.0
        plans[lang] = [_as_lang(c, lang, variant_of[c.speaker.client_id], tone) for c in base]
    return plans


def _as_lang(clip: Clip, lang: str, variant: str, tone_hz: float) -> Clip:
    written = clip.sentence if lang == "xa" else respell(clip.sentence)
    name = clip.path.replace(f"_{SPOKEN_AS}_", f"_{lang}_")
    return replace(clip, lang=lang, path=name, sentence=written, spoken=clip.sentence, voice=SPOKEN_AS,
                   speaker=replace(clip.speaker, variant=variant), tone_hz=tone_hz)


def generate_spellings(out_dir: str | Path, clips_per_lang: int = 100, seed: int = 0,
                       version: str = DEFAULT_VERSION, speakers_per_lang: int = DEFAULT_SPEAKERS_PER_LANG,
                       jobs: int | None = None, progress=None, cue: str = "variant") -> Path:
    """Write the two-spelling corpus and return its `cv-corpus-<version>` folder."""
    _check_espeak()
    root = Path(out_dir) / f"cv-corpus-{version}"
    return write_corpus(root, plan_spellings(clips_per_lang, speakers_per_lang, seed, cue), jobs, progress)
