"""A generated corpus laid out exactly like a Common Voice release, spoken by espeak-ng.

    OUT/cv-corpus-<version>/<lang>/clips/common_voice_<lang>_<n>.mp3   (48 kHz mono mp3)
    OUT/cv-corpus-<version>/<lang>/{train,dev,test,validated,invalidated,other}.tsv
    OUT/cv-corpus-<version>/<lang>/clip_durations.tsv

The TSVs carry the header of recent releases, tab-separated, with no quoting. Each speaker
is an espeak-ng voice variant with its own pitch and speed and a `client_id`; train, dev and
test speakers are disjoint. Sentences come from the lists in `data/sentences/<lang>.txt`,
written for this project. The output is a pure function of (langs, clips, seed).
"""

from __future__ import annotations

import hashlib
import io
import random
import shutil
import subprocess
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sshr_cli.constants import CV_CLIP_SAMPLE_RATE_HZ
from sshr_cli.errors import DataError, MissingDependencyError
from sshr_cli.io import atomic_path, write_text

CV_HEADER = (
    "client_id", "path", "sentence_id", "sentence", "sentence_domain", "up_votes",
    "down_votes", "age", "gender", "accents", "variant", "locale", "segment",
)
CV_SPLIT_FILES = ("train", "dev", "test", "validated", "invalidated", "other")
SENTENCES_DIR = Path(__file__).parent / "sentences"
DEFAULT_VERSION = "0.1-synthetic"
DEFAULT_CLIPS_PER_LANG = 50
DEFAULT_SPEAKERS_PER_LANG = 10  # 6 train, 2 dev, 2 test
SPLIT_SPEAKER_FRACTIONS = {"train": 0.6, "dev": 0.2, "test": 0.2}
EXTRA_CLIPS = {"invalidated": 2, "other": 2}  # per language, outside train/dev/test
ESPEAK_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m7", "f1", "f2", "f3", "f4")
PITCH_RANGE = (25, 75)  # espeak-ng -p, 0..99
SPEED_RANGE_WPM = (135, 185)  # espeak-ng -s, words per minute
PAD_RANGE_S = (0.15, 0.5)  # silence before and after speech, like real clips
TONE_SECONDS = 0.15  # Clip.tone_hz: the tone's length, inside the leading pad (at least as long)
TONE_RMS = 0.05  # and its loudness: clearly audible, quieter than the speech
NOISE_RMS = 3e-4  # a faint noise floor, so no clip is digitally silent
AGES = ("teens", "twenties", "thirties", "fourties", "fifties", "sixties")
GENDERS = {"m": "male_masculine", "f": "female_feminine"}


@dataclass(frozen=True)
class Speaker:
    client_id: str
    variant: str
    pitch: int
    speed_wpm: int
    age: str


@dataclass(frozen=True)
class Clip:
    lang: str
    path: str  # file name inside clips/
    sentence: str
    speaker: Speaker
    split: str  # train/dev/test/invalidated/other
    seed: int
    voice: str = ""  # espeak-ng voice; "" = lang (sshr_cli.data.spellings speaks one voice for two spellings)
    spoken: str = ""  # what espeak-ng says; "" = sentence
    tone_hz: float = 0.0  # a short tone at the clip's start (sshr_cli.data.spellings' tone cue); 0 = none


def available_langs() -> list[str]:
    return sorted(p.stem for p in SENTENCES_DIR.glob("*.txt"))


def load_sentences(lang: str) -> list[str]:
    path = SENTENCES_DIR / f"{lang}.txt"
    if not path.is_file():
        raise DataError(f"no sentence list for '{lang}'; available: {', '.join(available_langs())}")
    return [s.strip() for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]


def _hex(*parts: object, n: int = 40) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:n]


def make_speakers(lang: str, n: int, rng: random.Random) -> list[Speaker]:
    variants = rng.sample(ESPEAK_VARIANTS, k=min(n, len(ESPEAK_VARIANTS)))
    variants += [rng.choice(ESPEAK_VARIANTS) for _ in range(n - len(variants))]
    return [
        Speaker(
            client_id=_hex("speaker", lang, i, rng.random(), n=128),
            variant=v,
            pitch=rng.randint(*PITCH_RANGE),
            speed_wpm=rng.randint(*SPEED_RANGE_WPM),
            age=rng.choice(AGES),
        )
        for i, v in enumerate(variants)
    ]


def _split_speakers(speakers: list[Speaker]) -> dict[str, list[Speaker]]:
    n_dev = max(1, round(len(speakers) * SPLIT_SPEAKER_FRACTIONS["dev"]))
    n_test = max(1, round(len(speakers) * SPLIT_SPEAKER_FRACTIONS["test"]))
    n_train = len(speakers) - n_dev - n_test
    if n_train < 1:
        raise DataError(f"need at least 3 speakers per language, got {len(speakers)}")
    return {
        "train": speakers[:n_train],
        "dev": speakers[n_train:n_train + n_dev],
        "test": speakers[n_train + n_dev:],
    }


def plan_language(lang: str, clips: int, speakers: int, seed: int) -> list[Clip]:
    """Decide every clip of one language (text, speaker, split) from the seed alone."""
    rng = random.Random(f"{seed}/{lang}")
    sentences = load_sentences(lang)
    rng.shuffle(sentences)
    by_split = _split_speakers(make_speakers(lang, speakers, rng))
    counts = {s: max(1, round(clips * SPLIT_SPEAKER_FRACTIONS[s])) for s in by_split}
    counts["train"] = max(1, clips - counts["dev"] - counts["test"])
    plan: list[Clip] = []
    for split, n in [*counts.items(), *EXTRA_CLIPS.items()]:
        pool = by_split.get(split, by_split["train"])
        for _ in range(n):
            k = len(plan)
            plan.append(Clip(lang, f"common_voice_{lang}_{seed * 1000 + 10_000_000 + k}.mp3",
                             sentences[k % len(sentences)], pool[k % len(pool)], split,
                             rng.randrange(2**31)))
    return plan


def synthesize(text: str, lang: str, speaker: Speaker) -> tuple[np.ndarray, int]:
    """espeak-ng -> (float32 mono samples, sample rate)."""
    import soundfile as sf

    cmd = ["espeak-ng", "-v", f"{lang}+{speaker.variant}", "-p", str(speaker.pitch),
           "-s", str(speaker.speed_wpm), "--stdout", text]
    wav = subprocess.run(cmd, check=True, capture_output=True).stdout
    audio, sr = sf.read(io.BytesIO(wav), dtype="float32")
    return audio, sr


def render_clip(clip: Clip, clips_dir: Path) -> float:
    """Speak one clip, pad, add a noise floor, resample to 48 kHz, write mp3. Returns seconds."""
    import soundfile as sf
    from scipy.signal import resample_poly

    audio, sr = synthesize(clip.spoken or clip.sentence, clip.voice or clip.lang, clip.speaker)
    rng = np.random.default_rng(clip.seed)
    pads = [np.zeros(int(rng.uniform(*PAD_RANGE_S) * sr), np.float32) for _ in range(2)]
    if clip.tone_hz:
        t = np.arange(int(TONE_SECONDS * sr)) / sr
        pads[0][: len(t)] = TONE_RMS * np.sqrt(2) * np.sin(2 * np.pi * clip.tone_hz * t) * np.hanning(len(t))
    audio = np.concatenate([pads[0], audio, pads[1]])
    audio = audio + rng.normal(0.0, NOISE_RMS, audio.shape).astype(np.float32)
    g = np.gcd(CV_CLIP_SAMPLE_RATE_HZ, sr)
    audio = resample_poly(audio, CV_CLIP_SAMPLE_RATE_HZ // g, sr // g).astype(np.float32)
    audio = np.clip(audio, -1.0, 1.0)
    target = clips_dir / clip.path
    with atomic_path(target) as tmp:
        sf.write(tmp, audio, CV_CLIP_SAMPLE_RATE_HZ, format="MP3")
    return len(audio) / CV_CLIP_SAMPLE_RATE_HZ


def _row(clip: Clip, locale: str) -> list[str]:
    up, down = {"invalidated": (0, 2), "other": (0, 0)}.get(clip.split, (2, 0))
    return [clip.speaker.client_id, clip.path, _hex("sentence", clip.lang, clip.sentence, n=64),
            clip.sentence, "", str(up), str(down), clip.speaker.age,
            GENDERS[clip.speaker.variant[0]], "", "", locale, ""]


def write_tsvs(lang_dir: Path, plan: list[Clip], durations: list[float]) -> None:
    rows = {name: [] for name in CV_SPLIT_FILES}
    for clip in plan:
        rows[clip.split].append(_row(clip, clip.lang))
        if clip.split in ("train", "dev", "test"):
            rows["validated"].append(_row(clip, clip.lang))
    for name, body in rows.items():
        lines = ["\t".join(CV_HEADER)] + ["\t".join(r) for r in body]
        write_text(lang_dir / f"{name}.tsv", "\n".join(lines) + "\n")
    dur_lines = ["clip\tduration[ms]"] + [f"{c.path}\t{round(d * 1000)}" for c, d in zip(plan, durations)]
    write_text(lang_dir / "clip_durations.tsv", "\n".join(dur_lines) + "\n")


def _check_espeak() -> None:
    if shutil.which("espeak-ng") is None:
        raise MissingDependencyError(
            "espeak-ng is not installed; install it with: sudo apt-get install espeak-ng"
        )


def _render_task(args: tuple[Clip, str]) -> float:
    clip, clips_dir = args
    return render_clip(clip, Path(clips_dir))


def generate_commonvoice(out_dir: str | Path, langs: list[str], clips_per_lang: int = DEFAULT_CLIPS_PER_LANG,
                         seed: int = 0, version: str = DEFAULT_VERSION,
                         speakers_per_lang: int = DEFAULT_SPEAKERS_PER_LANG, jobs: int | None = None,
                         progress=None) -> Path:
    """Write a Common-Voice-layout corpus and return its `cv-corpus-<version>` folder."""
    _check_espeak()
    root = Path(out_dir) / f"cv-corpus-{version}"
    plans = {lang: plan_language(lang, clips_per_lang, speakers_per_lang, seed) for lang in langs}
    return write_corpus(root, plans, jobs, progress)


def write_corpus(root: Path, plans: dict[str, list[Clip]], jobs: int | None = None, progress=None) -> Path:
    """Speak every planned clip into ROOT/<lang>/clips/ and write the TSVs; returns root."""
    langs = list(plans)
    tasks = [(c, str(root / lang / "clips")) for lang, plan in plans.items() for c in plan]
    for lang in langs:
        (root / lang / "clips").mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        durations = []
        for d in pool.map(_render_task, tasks, chunksize=4):
            durations.append(d)
            if progress:
                progress()
    start = 0
    for lang, plan in plans.items():
        write_tsvs(root / lang, plan, durations[start:start + len(plan)])
        start += len(plan)
    return root
