"""Fixtures and checks for the bad-input table (tests/test_bad_inputs.py).

`build_world(root)` writes, once per module, the small good things each bad case starts from:
  clips/ok.wav            1 s sine tone, 16 kHz mono
  cv/en/                  a Common Voice language folder of 1 s tone mp3s (2 train, 1 dev, 1 test)
  data/                   prepared chars data for `en` (tone wavs, text "a b" style), vocab.json, report
  ckpt/                   a random HF Wav2Vec2ForCTC with a character vocab (decode, analyze, push)
  run/                    a real `sshr finetune` run stopped by train.max_minutes after 1 of 4 updates,
                          so that --resume has work left (last/ + metrics.jsonl)
A case copies what it breaks into its own folder; the world itself is never changed.

`run_case(...)` runs `python -m sshr_cli ...` as a user would; `snapshot(...)` hashes the
user's files before and after.
"""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

from helpers_decode import CHAR_VOCAB, tiny_ctc
from helpers_prepare import make_cv_lang, tone

REPO = Path(__file__).resolve().parents[1]
RECIPE = REPO / "recipes" / "synthetic" / "tiny.yaml"
RATE = 16_000
CASE_TIMEOUT_S = 300
# a run that stops itself after its first update (max_minutes is checked after each update)
RUN_FLAGS = ["--config", str(RECIPE), "--max-steps", "4", "--no-progress",
             "--set", "train.max_minutes=0.0001", "--set", "train.eval_every=2", "--set", "train.log_every=1",
             "--set", "data.cache_audio=false"]
TMP_PATTERNS = ("*.tmp", ".*.tmp", "*.partial", "*.part")


def env_for(home: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSHR_", "HF_"))}
    env.update(PYTHONPATH=str(REPO), HOME=str(home), HF_HUB_OFFLINE="1", HF_HOME=str(home / "hf"),
               OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore", COLUMNS="200")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _limit_file_size(max_bytes: int):
    """A preexec_fn: writes past `max_bytes` fail with EFBIG (CPython ignores SIGXFSZ), as on a full disk."""

    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


def run_sshr(args: list[str], cwd: Path, file_limit: int | None = None, **env) -> subprocess.CompletedProcess:
    (cwd / "home").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "sshr_cli", *map(str, args)], cwd=cwd,
                          env=env_for(cwd / "home", **env), capture_output=True, text=True,
                          timeout=CASE_TIMEOUT_S,
                          preexec_fn=_limit_file_size(file_limit) if file_limit is not None else None)


def snapshot(paths) -> dict[str, str]:
    """sha256 of every file under the given files/folders (the user's inputs); sshr's own training-index
    cache (DATA/.index/, built beside the manifests by design) is not the user's."""
    from sshr_cli.data.index import INDEX_DIR

    out = {}
    for p in map(Path, paths):
        files = [p] if p.is_file() else sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else []
        files = [f for f in files if INDEX_DIR not in f.parts]
        for f in files:
            out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def leftovers(root: Path) -> list[str]:
    """Temp or partial files (files or folders) a command left behind."""
    return sorted(str(p) for pat in TMP_PATTERNS for p in root.rglob(pat))


# ---------------------------------------------------------------- audio
def write_wave(path: Path, wave: np.ndarray, subtype: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, wave, RATE, subtype=subtype)
    return path


def sine(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.1 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)


def nonfinite_wav(path: Path, value: float) -> Path:
    """A float WAV of a tone with one NaN/inf sample in the middle."""
    wave = sine(1.0)
    wave[len(wave) // 2] = value
    return write_wave(path, wave, subtype="FLOAT")


def truncated_mp3(path: Path, seconds: float = 3.0) -> Path:
    """An mp3 of `seconds` whose file is cut at half its bytes (header intact, second half gone)."""
    tone(path, seconds)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


# ---------------------------------------------------------------- prepared data, checkpoint, run
TEXTS = ["a b", "ab ba", "b a", "aa b"]


def write_data(out: Path, clips: Path) -> Path:
    """Prepared chars data for `en` on tone wavs, as `sshr prepare` writes it (manifest contract)."""
    from sshr_cli.data.manifest import manifest_path, report_path, vocab_path
    from sshr_cli.io import write_json, write_jsonl
    from sshr_cli.text import Vocab
    from sshr_cli.text.units import text_to_chars

    counts = {"train": 4, "dev": 2, "test": 2}
    report, units = {"en": {}}, []
    for split, n in counts.items():
        rows = []
        for i in range(n):
            wav = write_wave(clips / f"{split}{i}.wav", sine(1.0 + 0.1 * i))
            text = TEXTS[i % len(TEXTS)]
            rows.append({"id": f"{split}{i}", "audio_filepath": str(wav.resolve()), "duration": 1.0 + 0.1 * i,
                         "text": text, "raw_text": text, "lang": "en", "speaker": f"s{i % 2}",
                         "units": " ".join(text_to_chars(text))})
        write_jsonl(manifest_path(out, "en", split), rows)
        report["en"][split] = {"kept": n, "dropped": {}, "hours": 0.001, "unk_rate": 0.0}
        if split == "train":
            units += [r["units"].split() for r in rows]
    vocab = Vocab.build(units)
    vocab.save(vocab_path(out))
    write_json(report_path(out), {"units": "chars", "source": "commonvoice", "args": {}, "langs": report,
                                  "vocab_size": len(vocab)})
    return out


def build_world(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write_wave(root / "clips" / "ok.wav", sine(1.0))
    ok = [("ok1.mp3", "A good clip.", 1.0), ("ok2.mp3", "Another good clip.", 1.0)]
    make_cv_lang(root / "cv" / "en", {"train": ok, "dev": ok[:1], "test": ok[1:]})
    write_data(root / "data", root / "wav")
    tiny_ctc(root / "ckpt")
    proc = run_sshr(["finetune", "--data", root / "data", "--out", root / "run", *RUN_FLAGS], root)
    if proc.returncode != 0 or not (root / "run" / "last" / "trainer_state.pt").is_file():
        raise RuntimeError(f"the fixture run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return root


CHAR_VOCAB = CHAR_VOCAB  # re-exported: the checkpoint's vocabulary
