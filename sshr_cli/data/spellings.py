"""A controlled task where only the utterance's language resolves the transcript: two spellings of one speech.

    generate_spellings(OUT, clips_per_lang=100, seed=0)   # OUT/cv-corpus-<version>/{xa,xb}/...

Two pseudo-languages, `xa` and `xb`, in Common Voice layout. Both are English sentences spoken by
espeak-ng's English voice (one phone inventory, the same pitch and speed ranges); `xa` writes them
in English spelling, `xb` in a respelling (SPELLING_XB: six letter pairs swapped, so the same
sounds take other letters, and the letter set is the same). The only thing in the audio that
tells the two apart is a global cue, the voice variant: `xa` speakers use the English voice's
male variants (VARIANTS_XA), `xb` speakers its female ones (VARIANTS_XB). A character model that
ignores the utterance-level cue cannot know which spelling to write; a language frame pooled over
the utterance can carry it. Prepare with `--units chars`.

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

SPELLING_LANGS = ("xa", "xb")  # xa: English spelling; xb: the respelling
SPOKEN_AS = "en"  # the espeak-ng voice and the sentence list both use
SWAPPED_PAIRS = ("ao", "ei", "ck", "sz", "fv", "td")  # xb swaps these letters (both ways)
SPELLING_XB = str.maketrans({**{a: b for a, b in SWAPPED_PAIRS}, **{b: a for a, b in SWAPPED_PAIRS},
                             **{a.upper(): b.upper() for a, b in SWAPPED_PAIRS},
                             **{b.upper(): a.upper() for a, b in SWAPPED_PAIRS}})
VARIANTS_XA = tuple(v for v in ESPEAK_VARIANTS if v.startswith("m"))  # xa speakers: male variants
VARIANTS_XB = tuple(v for v in ESPEAK_VARIANTS if v.startswith("f"))  # xb speakers: female variants (the cue)


def respell(sentence: str) -> str:
    """English spelling -> xb's spelling (a letter-pair swap; everything else unchanged)."""
    return sentence.translate(SPELLING_XB)


def plan_spellings(clips: int, speakers: int, seed: int) -> dict[str, list[Clip]]:
    """xa's and xb's clips: the same English sentence plan, pitch and speed ranges; xb respelled and
    spoken by female variants. The two draw different sentence orders, so a sentence may be xa in
    one split and xb in another."""
    plans = {}
    for k, lang in enumerate(SPELLING_LANGS):
        base = plan_language(SPOKEN_AS, clips, speakers, seed * 2 + k)  # one sentence order per language
        variants = VARIANTS_XA if lang == "xa" else VARIANTS_XB
        rng = random.Random(f"{seed}/{lang}/variant")
        ids = sorted({c.speaker.client_id for c in base})
        variant_of = {cid: variants[i % len(variants)] for i, cid in enumerate(rng.sample(ids, len(ids)))}
        plans[lang] = [_as_lang(c, lang, variant_of[c.speaker.client_id]) for c in base]
    return plans


def _as_lang(clip: Clip, lang: str, variant: str) -> Clip:
    written = clip.sentence if lang == "xa" else respell(clip.sentence)
    name = clip.path.replace(f"_{SPOKEN_AS}_", f"_{lang}_")
    return replace(clip, lang=lang, path=name, sentence=written, spoken=clip.sentence, voice=SPOKEN_AS,
                   speaker=replace(clip.speaker, variant=variant))


def generate_spellings(out_dir: str | Path, clips_per_lang: int = 100, seed: int = 0,
                       version: str = DEFAULT_VERSION, speakers_per_lang: int = DEFAULT_SPEAKERS_PER_LANG,
                       jobs: int | None = None, progress=None) -> Path:
    """Write the two-spelling corpus and return its `cv-corpus-<version>` folder."""
    _check_espeak()
    root = Path(out_dir) / f"cv-corpus-{version}"
    return write_corpus(root, plan_spellings(clips_per_lang, speakers_per_lang, seed), jobs, progress)
