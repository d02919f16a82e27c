"""`transcribe()`: audio files in, transcripts out (greedy or beam), batched by duration.

    from sshr_cli.decode import transcribe, DecodeOptions
    for t in transcribe("exp/cv_sshr", ["a.wav", "b.mp3"]):
        print(t.path, t.text, t.lang, [(w.text, w.start_s) for w in t.words])

Windows of every file (one per file, or several overlapping ones for long audio; see
chunking.py) are packed into inference batches of at most `max_batch_s` seconds, longest
files first. Each file's frames are reduced as they arrive (argmax ids for greedy; log-probs
for beam search, handed to a process pool as soon as the file is complete).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from sshr_cli.constants import (DEFAULT_CHUNK_S, DEFAULT_MAX_BATCH_S, DEFAULT_MAX_BATCH_S_CPU, DEFAULT_STRIDE_S,
                                DECODE_PRECISIONS, SAMPLE_RATE_HZ)
from sshr_cli.decode.backends import BeamOptions, BeamPool, BeamSpec
from sshr_cli.decode.chunking import ArraySource, AudioSource, Window, local_frames, plan_windows
from sshr_cli.decode.greedy import collapse
from sshr_cli.decode.result import Hypothesis, Transcript, Word
from sshr_cli.decode.timestamps import frames_to_seconds
from sshr_cli.errors import ConfigError, SshrError

logger = logging.getLogger("sshr_cli.decode")


@dataclass(frozen=True, kw_only=True)
class DecodeOptions:
    chunk_s: float | None = DEFAULT_CHUNK_S  # None/0: never chunk
    stride_s: float = DEFAULT_STRIDE_S
    max_batch_s: float | None = None  # audio seconds per inference batch, padding included; None: by device
    beam: BeamOptions | None = None  # None: greedy
    precision: str = "auto"  # auto | bf16 | fp16 | fp32 | int8: see sshr_cli.model.precision

    def check(self) -> None:
        if self.precision not in DECODE_PRECISIONS:
            raise ConfigError(f"--precision {self.precision!r}: use one of {', '.join(DECODE_PRECISIONS)}")
        if self.max_batch_s is not None and self.max_batch_s <= 0:
            raise ConfigError(f"--max-batch-seconds must be positive, got {self.max_batch_s}")
        if self.chunk_s and self.chunk_s <= 2 * self.stride_s:
            raise ConfigError(f"--chunk-seconds {self.chunk_s} must exceed 2 x --stride-seconds {self.stride_s}")


@dataclass
class _File:
    """One input while it is decoded: its windows and what has come back from them so far."""

    index: int
    path: str
    source: AudioSource
    windows: list[Window]
    greedy: bool
    pieces: list = field(default_factory=list)  # per window: [K] ids (greedy) or [K, V] log-probs
    score: float = 0.0
    lid_sum: np.ndarray | None = None  # [n_langs] frame-weighted LID probabilities
    frames: int = 0

    @property
    def done(self) -> bool:
        return len(self.pieces) == len(self.windows)


def transcribe(model, inputs: Sequence[str | Path], options: DecodeOptions = DecodeOptions(),
               progress: Callable[[float], None] | None = None,
               warn: Callable[[str], None] = logger.warning, device: str = "cpu") -> list[Transcript]:
    """Decode every input; skipped inputs come back with `.error` set. Results in input order."""
    results = dict(iter_transcripts(model, inputs, options, progress, warn, device))
    return [results[i] for i in range(len(inputs))]


def iter_transcripts(model, inputs: Sequence[str | Path], options: DecodeOptions = DecodeOptions(),
                     progress: Callable[[float], None] | None = None,
                     warn: Callable[[str], None] = logger.warning,
                     device: str = "cpu") -> Iterator[tuple[int, Transcript]]:
    """(input index, Transcript) pairs as files finish; `model` is a path, Hub id or Recognizer."""
    from sshr_cli.hub import load_recognizer
    from sshr_cli.model.inference import Recognizer

    options.check()
    rec = model if isinstance(model, Recognizer) else load_recognizer(model, device=device)
    files, skipped = _open_all(inputs, options, rec.frame_stride_s, beam=options.beam is not None,
                               min_samples=rec.min_samples)
    yield from skipped
    pool = _beam_pool(rec, options, warn, n_files=len(files))
    try:
        pending: dict[int, tuple[_File, Future]] = {}
        for f in _run_batches(rec, files, options, progress):
            if f.greedy:
                yield f.index, _finish(rec, f, collapse(np.concatenate(f.pieces), rec.vocab, f.score))
            else:
                pending[f.index] = (f, pool.submit(np.concatenate(f.pieces)))
                f.pieces = []
                yield from _collect(rec, pending, block=False)
        yield from _collect(rec, pending, block=True)
    finally:
        if pool is not None:
            pool.close()


def _open_all(inputs, options: DecodeOptions, hop_s: float, beam: bool, min_samples: int):
    """Open each input (headers only), plan its windows; unreadable ones become skips."""
    files, skipped = [], []
    for i, path in enumerate(inputs):
        wave = path if isinstance(path, np.ndarray) else None  # a wave in memory (sshr_cli.api)
        path = f"<array {i}>" if wave is not None else path
        try:
            src = AudioSource(path, min_samples=min_samples) if wave is None else \
                ArraySource(wave, path, min_samples=min_samples)
        except SshrError as exc:
            skipped.append((i, Transcript(str(path), Path(str(path)).stem, error=str(exc))))
            continue
        hop = round(hop_s * SAMPLE_RATE_HZ)
        windows = plan_windows(src.n_samples, options.chunk_s, options.stride_s, hop=hop)
        files.append(_File(i, str(path), src, windows, greedy=not beam))
    files.sort(key=lambda f: -f.source.n_samples)  # longest first: similar lengths share a batch
    return files, skipped


def _beam_pool(rec, options: DecodeOptions, warn, n_files: int) -> BeamPool | None:
    if options.beam is None or n_files == 0:
        return None
    spec = BeamSpec.create(rec.vocab, options.beam, rec.folder)
    for note in spec.warnings:
        warn(note)
    workers = options.beam.workers
    if n_files == 1:
        workers = 0  # one utterance: a pool would only add start-up time
    return BeamPool(spec, workers)


def _batches(files: list[_File], max_samples: float) -> Iterator[list[tuple[_File, Window]]]:
    """Pack (file, window) pairs into batches whose padded size stays under max_samples."""
    batch: list[tuple[_File, Window]] = []
    longest = 0
    for f in files:
        for w in f.windows:
            size = w.stop - w.start
            if batch and max(longest, size) * (len(batch) + 1) > max_samples:
                yield batch
                batch, longest = [], 0
            batch.append((f, w))
            longest = max(longest, size)
    if batch:
        yield batch


def batch_seconds(options: DecodeOptions, device: str) -> float:
    """--max-batch-seconds, else the device's default (smaller batches are faster on a CPU)."""
    if options.max_batch_s is not None:
        return options.max_batch_s
    return DEFAULT_MAX_BATCH_S if str(device).startswith("cuda") else DEFAULT_MAX_BATCH_S_CPU


def _run_batches(rec, files: list[_File], options: DecodeOptions, progress) -> Iterator[_File]:
    """Run the model batch by batch; yield each file as soon as all its windows are back."""
    hop = round(rec.frame_stride_s * SAMPLE_RATE_HZ)
    for batch in _batches(files, batch_seconds(options, rec.device) * SAMPLE_RATE_HZ):
        out = rec([f.source.read(w.start, w.stop) for f, w in batch], options.precision)
        log_probs = out.log_probs.cpu().numpy()  # [B, T, V]
        lengths = out.lengths.cpu().tolist()
        lid = out.lid_probs.cpu().numpy() if out.lid_probs is not None else None  # [B, n_langs]
        for b, (f, w) in enumerate(batch):
            frames = log_probs[b, local_frames(w, int(lengths[b]), hop)]  # [K, V]
            _add_piece(f, frames, None if lid is None else lid[b])
            if progress is not None:
                progress(len(frames) * rec.frame_stride_s)  # seconds of audio done
            if f.done:
                yield f


def _add_piece(f: _File, frames: np.ndarray, lid: np.ndarray | None) -> None:
    if f.greedy:
        ids = frames.argmax(axis=1).astype(np.int32)  # [K]
        f.score += float(frames[np.arange(len(ids)), ids].sum())
        f.pieces.append(ids)
    else:
        f.pieces.append(frames)
    if lid is not None:
        f.lid_sum = lid * len(frames) if f.lid_sum is None else f.lid_sum + lid * len(frames)
    f.frames += len(frames)


def _collect(rec, pending: dict, block: bool) -> Iterator[tuple[int, Transcript]]:
    for index in list(pending):
        f, future = pending[index]
        if block or future.done():
            del pending[index]
            hyps = future.result()
            yield index, _finish(rec, f, hyps[0], hyps)


def _finish(rec, f: _File, hyp: Hypothesis, nbest: list[Hypothesis] | None = None) -> Transcript:
    stride = rec.frame_stride_s
    words = [Word(w, frames_to_seconds(s, stride), frames_to_seconds(e, stride)) for w, s, e in hyp.words]
    t = Transcript(f.path, Path(f.path).stem, hyp.text, words, hyp.units, round(f.source.duration_s, 3))
    if f.lid_sum is not None and rec.languages:
        probs = f.lid_sum / max(f.frames, 1)
        best = int(probs.argmax())
        t = replace(t, lang=rec.languages[best], lang_prob=round(float(probs[best]), 4))
    if nbest and len(nbest) > 1:
        t.nbest = [{"text": h.text, "score": round(h.score, 3)} for h in nbest]
    return t
