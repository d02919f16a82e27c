"""A controlled task where only the utterance's language resolves the transcript: two spellings of one speech.

    generate_spellings(OUT, clips_per_lang=100, seed=0)   # OUT/cv-corpus-<version>/{xa,xb}/...

Two pseudo-languages, `xa` and `xb`, in Common Voice layout. Both are English sentences spoken by
the same espeak-ng English voices (one phone inventory, one speaker pool); `xa` writes them in
English spelling, `xb` in a respelling (SPELLING_XB: six letter pairs swapped, so the same
sounds take other letters, and the letter set is the same). The only thing in the audio that
tells the two apart is a weak global cue: `xb` is spoken PITCH_OFFSET_XB espeak pitch steps
higher (pitch ranges PITCH_XA and PITCH_XB do not overlap). A character model that ignores the
utterance-level cue cannot know which spelling to write; a language frame pooled over the
utterance can carry it. Prepare with `--units chars`.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from sshr_cli.data.synthetic import (DEFAULT_SPEAKERS_PER_LANG, DEFAULT_VERSION, Clip, _check_espeak,
                                     plan_language, write_corpus)

SPELLING_LANGS = ("xa", "xb")  # xa: English spelling; xb: the respelling
SPOKEN_AS = "en"  # the espeak-ng voice and the sentence list both use
SWAPPED_PAIRS = ("ao", "ei", "ck", "sz", "fv", "td")  # xb swaps these letters (both ways)
SPELLING_XB = str.maketrans({**{a: b for a, b in SWAPPED_PAIRS}, **{b: a for a, b in SWAPPED_PAIRS},
                             **{a.upper(): b.upper() for a, b in SWAPPED_PAIRS},
                             **{b.upper(): a.upper() for a, b in SWAPPED_PAIRS}})
PITCH_XA = (30, 45)  # espeak-ng -p range of xa speakers
PITCH_OFFSET_XB = 20  # xb speakers: the same draw, this much higher (50..65): the weak cue


def respell(sentence: str) -> str:
    """English spelling -> xb's spelling (a letter-pair swap; everything else unchanged)."""
    return sentence.translate(SPELLING_XB)


def plan_spellings(clips: int, speakers: int, seed: int) -> dict[str, list[Clip]]:
    """xa's and xb's clips: the same English sentence plan and voices, xb respelled and pitched up.
    The two draw different sentence orders, so a sentence may be xa in one split and xb in another."""
    plans = {}
    for k, lang in enumerate(SPELLING_LANGS):
        base = plan_language(SPOKEN_AS, clips, speakers, seed * 2 + k)  # one sentence order per language
        rng = random.Random(f"{seed}/{lang}/pitch")
        plans[lang] = [_as_lang(c, lang, PITCH_XA[0] + rng.randint(0, PITCH_XA[1] - PITCH_XA[0])) for c in base]
    return plans


def _as_lang(clip: Clip, lang: str, pitch: int) -> Clip:
    written = clip.sentence if lang == "xa" else respell(clip.sentence)
    offset = PITCH_OFFSET_XB if lang == "xb" else 0
    name = clip.path.replace(f"_{SPOKEN_AS}_", f"_{lang}_")
    return replace(clip, lang=lang, path=name, sentence=written, spoken=clip.sentence, voice=SPOKEN_AS,
                   speaker=replace(clip.speaker, pitch=pitch + offset))


def generate_spellings(out_dir: str | Path, clips_per_lang: int = 100, seed: int = 0,
                       version: str = DEFAULT_VERSION, speakers_per_lang: int = DEFAULT_SPEAKERS_PER_LANG,
                       jobs: int | None = None, progress=None) -> Path:
    """Write the two-spelling corpus and return its `cv-corpus-<version>` folder."""
    _check_espeak()
    root = Path(out_dir) / f"cv-corpus-{version}"
    return write_corpus(root, plan_spellings(clips_per_lang, speakers_per_lang, seed), jobs, progress)
