"""ML-SUPERB reader, following ESPnet's `egs2/ml_superb/asr1` layout and protocol.

Layout (one folder per language-corpus pair):
    ROOT/<dataset>/<lang>/wav/<utt_id>.wav
    ROOT/<dataset>/<lang>/transcript_{10min,1h}_train.txt
    ROOT/<dataset>/<lang>/transcript_10min_{dev,test}.txt
Each transcript line is `<utt_id> <field> <text>`; the middle field is ignored, as ESPnet does.

Protocol: train comes from the 10min or 1h list (`setting`); dev and test always from the
10-minute lists; train clips over 20 s are dropped (MAX_TRAIN_DURATION_S) and there is no
lower limit; for the 20 few-shot languages only 5 listed train utterances are kept (the rest
are reported as `few_shot_protocol`). Pairs of one language are merged into one manifest.
Datasets and languages are found on disk, not taken from a fixed list.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from functools import partial
from itertools import chain
from typing import Iterator, Sequence

from sshr_cli.io import iter_text_lines
from sshr_cli.data.manifest import SPLITS
from sshr_cli.data.source import MALFORMED_ROW, Reread, SourceInput, SplitInput, Utterance, read_checked
from sshr_cli.errors import ConfigError, DataError

SETTINGS = ("10min", "1h")
MIN_TRAIN_S = 0.0  # ESPnet's ml_superb data_prep drops only train clips over 20 s
WAV_DIR = "wav"
FEW_SHOT_REASON = "few_shot_protocol"

# The 20 few-shot languages and the 5 train utterances each keeps: ML-SUPERB's protocol as
# ESPnet's egs2/ml_superb/asr1/local/data_prep.py selects it (FEW_SHOT_SELECTED_DATA).
FEW_SHOT = {
    lang: tuple(ids.split())
    for lang, ids in {
        "lit": "cv_lit_000026 cv_lit_000105 fleurs_lit_000097 mls_lit_000040 voxpopuli_lit_001707",
        "dan": "NST_dan_000007 NST_dan_000072 cv_dan_000158 fleurs_dan_000058 fleurs_dan_000071",
        "tur": "cv_tur_000095 cv_tur_000101 fleurs_tur_000060 fleurs_tur_000069 fleurs_tur_000095",
        "srp": "cv_srp_000078 cv_srp_000145 fleurs_srp_000068 fleurs_srp_000093 fleurs_srp_000105",
        "vie": "cv_vie_000105 cv_vie_000128 fleurs_vie_000067 fleurs_vie_000068 fleurs_vie_000077",
        "kaz": "cv_kaz_000080 cv_kaz_000097 cv_kaz_000111 fleurs_kaz_000036 fleurs_kaz_000066",
        "zul": "fleurs_zul_000049 fleurs_zul_000057 nchlt_zul_000027 nchlt_zul_000090 nchlt_zul_000104",
        "tsn": "googlei18n-tts_tsn_000026 googlei18n-tts_tsn_000044 googlei18n-tts_tsn_000108 "
               "nchlt_tsn_000001 nchlt_tsn_000032",
        "epo": "cv_epo_000006 cv_epo_000039 cv_epo_000063 cv_epo_000066 cv_epo_000076",
        "frr": "cv_frr_000023 cv_frr_000086 cv_frr_000095 cv_frr_000102 cv_frr_000104",
        "tok": "cv_tok_000004 cv_tok_000011 cv_tok_000030 cv_tok_000084 cv_tok_000101",
        "umb": "fleurs_umb_000028 fleurs_umb_000029 fleurs_umb_000033 fleurs_umb_000040 fleurs_umb_000047",
        "bos": "fleurs_bos_000067 fleurs_bos_000078 fleurs_bos_000080 fleurs_bos_000088 fleurs_bos_000090",
        "ful": "fleurs_ful_000055 fleurs_ful_000059 fleurs_ful_000067 fleurs_ful_000076 fleurs_ful_000081",
        "ceb": "fleurs_ceb_000054 fleurs_ceb_000064 fleurs_ceb_000069 fleurs_ceb_000071 fleurs_ceb_000080",
        "luo": "fleurs_luo_000056 fleurs_luo_000062 fleurs_luo_000067 fleurs_luo_000073 fleurs_luo_000077",
        "kea": "fleurs_kea_000052 fleurs_kea_000070 fleurs_kea_000078 fleurs_kea_000083 fleurs_kea_000085",
        "sun": "googlei18n-asr_sun_000001 googlei18n-asr_sun_000007 googlei18n-asr_sun_000041 "
               "googlei18n-asr_sun_000099 googlei18n-asr_sun_000106",
        "tso": "nchlt_tso_000035 nchlt_tso_000040 nchlt_tso_000089 nchlt_tso_000104 nchlt_tso_000125",
        "tos": "mexico-el_tos_000006 mexico-el_tos_000122 mexico-el_tos_000152 mexico-el_tos_000496 "
               "mexico-el_tos_000563",
    }.items()
}


def transcript_name(split: str, setting: str) -> str:
    """The one place transcript file names are spelled (the generator uses it too)."""
    return f"transcript_{setting if split == 'train' else '10min'}_{split}.txt"


def _subdirs(path: Path) -> list[Path]:
    try:
        with os.scandir(path) as entries:
            return sorted(Path(e.path) for e in entries if e.is_dir())
    except OSError as exc:
        raise DataError(f"cannot read {path} ({exc.strerror or exc}); check its permissions") from exc


def find_pairs(root: str | Path) -> dict[str, list[Path]]:
    """Language -> its `<dataset>/<lang>` folders (language-corpus pairs), found on disk."""
    root = Path(root).expanduser().resolve()
    if not root.is_dir():
        raise DataError(f"ML-SUPERB folder {root} does not exist or is not a folder")
    pairs: dict[str, list[Path]] = {}
    for dataset in _subdirs(root):
        for lang_dir in _subdirs(dataset):
            if (lang_dir / WAV_DIR).is_dir() or any(lang_dir.glob("transcript_*.txt")):
                pairs.setdefault(lang_dir.name, []).append(lang_dir)
    if not pairs:
        raise DataError(f"no ML-SUPERB pairs (<dataset>/<lang>/wav, transcript_*.txt) in {root}")
    return pairs


def read_transcript(path: Path, lang: str, split: str, few_shot: frozenset[str] | None) -> SplitInput:
    """One transcript file -> utterances (re-read on each pass); `few_shot` (if given) is the train ids to keep."""
    if not path.is_file():
        raise DataError(f"{path} not found; an ML-SUPERB pair needs {transcript_name(split, '10min')} "
                        f"(train: transcript_10min_train.txt or transcript_1h_train.txt)")
    return SplitInput(lang, split, *read_checked(partial(_rows, path, lang, few_shot)))


def _rows(path: Path, lang: str, few_shot: frozenset[str] | None, dropped: Counter) -> Iterator[Utterance]:
    wav_dir = path.parent / WAV_DIR
    for line in iter_text_lines(path):
        parts = line.strip().split(maxsplit=2)
        if not parts:
            continue
        if len(parts) < 2:
            dropped[MALFORMED_ROW] += 1
            continue
        utt_id, text = parts[0], (parts[2] if len(parts) == 3 else "")
        if few_shot is not None and utt_id not in few_shot:
            dropped[FEW_SHOT_REASON] += 1
            continue
        yield Utterance(utt_id, wav_dir / f"{utt_id}.wav", text, lang, "")


def _merge(parts: list[SplitInput]) -> SplitInput:
    """One language's pairs as one split: their utterances chained (each still re-read per pass)."""
    utterances = Reread(lambda: chain.from_iterable(p.utterances for p in parts))
    return SplitInput(parts[0].lang, parts[0].split, utterances, sum((p.dropped for p in parts), Counter()))


def mlsuperb_source(root: str | Path, langs: Sequence[str] | None = None, setting: str = "10min",
                    few_shot: bool = True, splits: Sequence[str] = SPLITS) -> SourceInput:
    """Everything `prepare` needs from an ML-SUPERB tree, for the chosen languages."""
    if setting not in SETTINGS:
        raise ConfigError(f"--setting must be one of {', '.join(SETTINGS)}, got '{setting}'")
    root = Path(root).expanduser().resolve()
    pairs = find_pairs(root)
    unknown = [lang for lang in (langs or []) if lang not in pairs]
    if unknown:
        raise DataError(f"language(s) {', '.join(unknown)} not in {root}; found: {', '.join(sorted(pairs))}")
    chosen = sorted(langs or pairs)
    files, parts = [], []
    for lang in chosen:
        keep = frozenset(FEW_SHOT[lang]) if few_shot and lang in FEW_SHOT else None
        for split in splits:
            paths = [d / transcript_name(split, setting) for d in pairs[lang]]
            files += paths
            parts.append(_merge([read_transcript(p, lang, split, keep if split == "train" else None)
                                 for p in paths]))
    args = {"corpus_dir": str(root), "langs": chosen, "splits": list(splits), "setting": setting,
            "few_shot": few_shot}
    return SourceInput("mlsuperb", args, tuple(files), tuple(parts))
