"""Prepared-data folders for training tests, written straight from a Common-Voice-layout corpus.

`write_prepared(cv_root, out)` writes what `sshr prepare` writes (the manifest contract in
sshr_cli.data.manifest): DATA/<lang>/<split>.jsonl with character units, DATA/vocab.json from
train only, DATA/prepare_report.json. Audio is decoded once to 16 kHz wav beside the manifests,
so tests do not pay for mp3 decoding on every step.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import soundfile as sf

from sshr_cli.audio import load_audio
from sshr_cli.constants import SAMPLE_RATE_HZ
from sshr_cli.data.manifest import manifest_path, report_path, vocab_path
from sshr_cli.io import write_json, write_jsonl
from sshr_cli.text import Vocab, normalize
from sshr_cli.text.units import text_to_chars

SPLITS = ("train", "dev", "test")


def _rows(cv_root: Path, lang: str, split: str, out: Path) -> list[dict]:
    rows = []
    with open(cv_root / lang / f"{split}.tsv", encoding="utf-8", newline="") as f:
        for rec in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            wave = load_audio(cv_root / lang / "clips" / rec["path"])
            wav = out / lang / "wav" / (Path(rec["path"]).stem + ".wav")
            wav.parent.mkdir(parents=True, exist_ok=True)
            sf.write(wav, wave, SAMPLE_RATE_HZ)
            text = normalize(rec["sentence"], lang)
            rows.append({"id": Path(rec["path"]).stem, "audio_filepath": str(wav.resolve()),
                         "duration": len(wave) / SAMPLE_RATE_HZ, "text": text, "raw_text": rec["sentence"],
                         "lang": lang, "speaker": rec["client_id"], "units": " ".join(text_to_chars(text))})
    return rows


def write_prepared(cv_root: str | Path, out: str | Path, langs=("en", "de")) -> Path:
    cv_root, out = Path(cv_root), Path(out)
    train_units, report = [], {}
    for lang in langs:
        report[lang] = {}
        for split in SPLITS:
            rows = _rows(cv_root, lang, split, out)
            write_jsonl(manifest_path(out, lang, split), rows)
            hours = sum(r["duration"] for r in rows) / 3600
            report[lang][split] = {"kept": len(rows), "dropped": {}, "hours": hours, "unk_rate": 0.0}
            if split == "train":
                train_units += [r["units"].split() for r in rows]
    vocab = Vocab.build(train_units)
    vocab.save(vocab_path(out))
    write_json(report_path(out), {"units": "chars", "source": "commonvoice", "args": {}, "langs": report,
                                  "vocab_size": len(vocab)})
    return out


def fake_manifest_rows(durations: list[float], lang: str = "en") -> list[dict]:
    """Rows with made-up durations (no audio behind them) for sampler tests."""
    return [{"id": f"{lang}{i}", "audio_filepath": f"/nowhere/{i}.wav", "duration": d, "text": "ab",
             "lang": lang, "units": "a b"} for i, d in enumerate(durations)]


def random_durations(n: int, seed: int = 0) -> list[float]:
    return list(np.random.default_rng(seed).uniform(1.0, 12.0, n).round(3))
