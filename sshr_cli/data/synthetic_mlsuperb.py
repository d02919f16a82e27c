"""A tiny ML-SUPERB-shaped tree, spoken by espeak-ng (the speech of synthetic.py), for tests.

    OUT/<dataset>/<lang>/wav/<prefix>_<lang>_<NNNNNN>.wav     (16 kHz mono)
    OUT/<dataset>/<lang>/transcript_{10min,1h}_train.txt, transcript_10min_{dev,test}.txt

Lines are `<utt_id> A <sentence>`. The 1h train list holds the 10min list plus more clips.
A few-shot language (e.g. `lit`) gets the train ids ML-SUPERB's protocol keeps for it in that
dataset plus two that it does not, so the few-shot rule can be checked. Sentences come from
the Common Voice generator's lists (few-shot languages borrow `pl` sentences, spoken with the
language's own espeak voice). The output is a pure function of the arguments.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from sshr_cli.constants import SAMPLE_RATE_HZ
from sshr_cli.data.mlsuperb import FEW_SHOT, WAV_DIR, transcript_name
from sshr_cli.data.synthetic import _check_espeak, load_sentences, make_speakers, synthesize
from sshr_cli.io import atomic_path, write_text

# ISO 639-3 -> (espeak-ng voice, sentence list)
VOICES = {"eng": ("en-us", "en"), "deu": ("de", "de"), "fra": ("fr-fr", "fr"), "spa": ("es", "es"),
          "ita": ("it", "it"), "nld": ("nl", "nl"), "pol": ("pl", "pl"), "swe": ("sv", "sv"),
          "lit": ("lt", "pl"), "dan": ("da", "sv"), "tur": ("tr", "pl")}
DATASET_PREFIX = {"commonvoice": "cv", "fleurs": "fleurs", "mls": "mls", "voxpopuli": "voxpopuli"}
DEFAULT_LANGS = ("eng", "deu", "lit")
DEFAULT_DATASETS = ("commonvoice", "fleurs")
COUNTS = {"train_10min": 3, "train_1h_extra": 2, "dev": 2, "test": 2}
SPEAKERS = 4
PAD_S = 0.2  # silence either side of the speech
FIRST_NUMBER = 900_000  # utt numbers of generated clips (clear of the few-shot ids)


def _ids(dataset: str, lang: str) -> dict[str, list[str]]:
    """utt ids per list: 10min train, 1h train (a superset), dev, test."""
    prefix = DATASET_PREFIX[dataset]
    n_train = COUNTS["train_10min"] + COUNTS["train_1h_extra"]
    fresh = [f"{prefix}_{lang}_{FIRST_NUMBER + k:06d}" for k in range(n_train + COUNTS["dev"] + COUNTS["test"])]
    dev, test = fresh[n_train:n_train + COUNTS["dev"]], fresh[n_train + COUNTS["dev"]:]
    if lang in FEW_SHOT:  # the protocol's ids in this dataset, plus two it does not keep
        train = [i for i in FEW_SHOT[lang] if i.startswith(f"{prefix}_")] + fresh[:2]
        return {"10min": train, "1h": train, "dev": dev, "test": test}
    return {"10min": fresh[:COUNTS["train_10min"]], "1h": fresh[:n_train], "dev": dev, "test": test}


def _render(task: tuple[str, str, object, Path]) -> None:
    from scipy.signal import resample_poly
    import soundfile as sf

    text, voice, speaker, target = task
    audio, sr = synthesize(text, voice, speaker)
    pad = np.zeros(int(PAD_S * sr), np.float32)
    audio = np.concatenate([pad, audio, pad])
    g = np.gcd(SAMPLE_RATE_HZ, sr)
    audio = resample_poly(audio, SAMPLE_RATE_HZ // g, sr // g).astype(np.float32)
    with atomic_path(target) as tmp:
        sf.write(tmp, np.clip(audio, -1.0, 1.0), SAMPLE_RATE_HZ, format="WAV")


def generate_mlsuperb(out_dir: str | Path, langs=DEFAULT_LANGS, datasets=DEFAULT_DATASETS, seed: int = 0,
                      jobs: int = 2) -> Path:
    """Write the tree under `out_dir` and return it."""
    _check_espeak()
    root = Path(out_dir)
    tasks = []
    for dataset in datasets:
        for lang in langs:
            voice, sentence_lang = VOICES[lang]
            rng = random.Random(f"{seed}/{dataset}/{lang}")
            sentences, speakers = load_sentences(sentence_lang), make_speakers(lang, SPEAKERS, rng)
            lang_dir = root / dataset / lang
            ids = _ids(dataset, lang)
            texts = {u: sentences[k % len(sentences)] for k, u in enumerate(dict.fromkeys(sum(ids.values(), [])))}
            for n, (utt, text) in enumerate(texts.items()):
                tasks.append((text, voice, speakers[n % SPEAKERS], lang_dir / WAV_DIR / f"{utt}.wav"))
            for name, split, setting in (("10min", "train", "10min"), ("1h", "train", "1h"),
                                         ("dev", "dev", "10min"), ("test", "test", "10min")):
                lines = [f"{u} A {texts[u]}" for u in ids[name]]
                write_text(lang_dir / transcript_name(split, setting), "\n".join(lines) + "\n")
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(_render, tasks))
    return root
