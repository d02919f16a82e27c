"""A prepared data folder of generated clips with fixed or spread durations (part of bench/gpu_all.sh).

    python bench/_gpu_data.py OUT --clips 96 --seconds 12            # every clip 12 s (the bare step's shape)
    python bench/_gpu_data.py OUT --clips 40 --seconds 2:15 --format wav

Writes what `sshr prepare` writes (the manifest contract of sshr_cli.data.manifest): OUT/<lang>/
{train,dev}.jsonl, OUT/vocab.json, OUT/prepare_report.json (units "phonemes"), with the audio
beside them. Audio is noise under a moving tone; labels are random units at about 12 a second
(Common Voice phoneme rates). No espeak-ng, no network. mp3 at 48 kHz is what Common Voice ships
and what a real run decodes (and resamples) in its DataLoader workers; wav at 16 kHz costs next
to nothing to read. The content is meaningless: this data is for timing, not for learning.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

LANGS = ("en", "de")
UNITS_PER_S = 12.0
N_UNITS = 40
RATES_HZ = {"mp3": 48_000, "wav": 16_000, "flac": 16_000}


def durations(spec: str, n: int, rng) -> list[float]:
    """'12' -> n times 12.0; '2:15' -> n values spread uniformly over [2, 15]."""
    lo, _, hi = spec.partition(":")
    if not hi:
        return [float(lo)] * n
    return [round(float(x), 3) for x in rng.uniform(float(lo), float(hi), n)]


def clip(seconds: float, rate: int, rng) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * (200 + 100 * np.sin(2 * np.pi * 0.5 * t)) * t)
    return (tone + 0.05 * rng.standard_normal(len(t))).astype(np.float32)


def write_split(out: Path, lang: str, split: str, secs: list[float], fmt: str, rng) -> list[dict]:
    import soundfile as sf

    from sshr_cli.data.manifest import manifest_path
    from sshr_cli.io import write_jsonl

    folder = out / lang / "clips"
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, s in enumerate(secs):
        path = folder / f"{split}{i:04d}.{fmt}"
        sf.write(path, clip(s, RATES_HZ[fmt], rng), RATES_HZ[fmt], format=fmt.upper())
        units = [f"p{u}" for u in rng.integers(0, N_UNITS, max(1, int(s * UNITS_PER_S)))]
        words = [" ".join(units[k:k + 4]) for k in range(0, len(units), 4)]
        rows.append({"id": f"{lang}_{split}{i:04d}", "audio_filepath": str(path.resolve()), "duration": s,
                     "text": " ".join(w.replace(" ", "") for w in words), "lang": lang, "units": " ".join(units)})
    write_jsonl(manifest_path(out, lang, split), rows)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--clips", type=int, default=96, help="train clips in all (split over the languages)")
    ap.add_argument("--dev-clips", type=int, default=4, help="dev clips in all")
    ap.add_argument("--seconds", default="12", help="every clip this long, or LO:HI for a uniform spread")
    ap.add_argument("--format", choices=sorted(RATES_HZ), default="mp3")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from sshr_cli.data.manifest import report_path, vocab_path
    from sshr_cli.io import write_json
    from sshr_cli.text.vocab import Vocab

    rng = np.random.default_rng(args.seed)
    train_units, report = [], {}
    for k, lang in enumerate(LANGS):
        n_train = args.clips // len(LANGS) + (k < args.clips % len(LANGS))
        n_dev = max(1, args.dev_clips // len(LANGS))
        train = write_split(args.out, lang, "train", durations(args.seconds, n_train, rng), args.format, rng)
        dev = write_split(args.out, lang, "dev", durations(args.seconds, n_dev, rng), args.format, rng)
        train_units += [r["units"].split() for r in train]
        report[lang] = {split: {"kept": len(rows), "dropped": {}, "hours": sum(r["duration"] for r in rows) / 3600,
                                "unk_rate": 0.0} for split, rows in (("train", train), ("dev", dev))}
    vocab = Vocab.build(train_units)
    vocab.save(vocab_path(args.out))
    write_json(report_path(args.out), {"units": "phonemes", "source": "bench/_gpu_data.py", "args": vars(args) | {
        "out": str(args.out)}, "langs": report, "vocab_size": len(vocab)})
    print(f"wrote {args.out}: {args.clips} train + {len(LANGS) * max(1, args.dev_clips // len(LANGS))} dev clips "
          f"({args.seconds} s, {args.format}), {len(vocab)} units")


if __name__ == "__main__":
    main()
