"""`sshr prepare --resample-to-flac`: 16 kHz mono FLAC copies of the kept clips, in processes.

    OUT/audio/<lang>/<id>.flac   (flac_path); a copy newer than its source is not redone
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from sshr_cli.constants import SAMPLE_RATE_HZ
from sshr_cli.data.durations import Progress
from sshr_cli.io import atomic_path

FLAC_DIR = "audio"  # OUT/audio/<lang>/<id>.flac


def flac_path(out_dir: Path, lang: str, utt_id: str) -> Path:
    return Path(out_dir).resolve() / FLAC_DIR / lang / f"{utt_id}.flac"


def _write_flac(task: tuple[str, str]) -> None:
    import soundfile as sf

    from sshr_cli.audio import load_audio

    src, dst = Path(task[0]), Path(task[1])
    if dst.is_file() and dst.stat().st_mtime_ns >= src.stat().st_mtime_ns:
        return
    audio = load_audio(src, SAMPLE_RATE_HZ)  # [S] float32 mono
    with atomic_path(dst) as tmp:
        sf.write(tmp, audio, SAMPLE_RATE_HZ, format="FLAC")


def write_flac_copies(rows: list[dict], out_dir: Path, jobs: int, progress: Optional[Progress] = None) -> None:
    """16 kHz mono FLAC copies of the kept clips; rows then point at the copies."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    tasks = [(r["audio_filepath"], str(flac_path(out_dir, r["lang"], r["id"]))) for r in rows]
    # spawn, not fork: a forked child deadlocks in torch if the parent already ran torch ops
    spawn = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=spawn) if jobs > 1 else None
    try:
        done = pool.map(_write_flac, tasks, chunksize=8) if pool else map(_write_flac, tasks)
        for n, _ in enumerate(done, 1):
            if progress:
                progress("flac", n, len(tasks))
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    for row, (_, dst) in zip(rows, tasks):
        row["audio_filepath"] = dst
