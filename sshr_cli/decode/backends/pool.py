"""Decoding in worker processes, spawn-safe: the decoder is built once per worker by the initializer.

    with BeamPool(spec, workers=4) as pool:   # workers=0: in this process
        future = pool.submit(log_probs)       # [T, V] -> Future[list[Hypothesis]]

pyctcdecode only parallelises with fork pools and silently decodes sequentially under spawn
(its issue #65). BeamPool builds the decoder once in each worker through the pool's
initializer, so it works the same under fork, forkserver and spawn.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np

from sshr_cli.decode.backends.base import Backend, BeamSpec, backend_class
from sshr_cli.decode.result import Hypothesis

_WORKER_DECODER: Backend | None = None


def _init_worker(spec: BeamSpec) -> None:
    global _WORKER_DECODER
    _WORKER_DECODER = spec.build()


def _decode_in_worker(log_probs: np.ndarray) -> list[Hypothesis]:
    return _WORKER_DECODER.decode(log_probs)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def auto_workers(spec: BeamSpec) -> int:
    """A backend fast enough in one process (flashlight decodes thousands of times faster than real
    time) gets no pool: its start-up (seconds under spawn) costs more than it saves; others get every core."""
    return 0 if backend_class(spec.backend).in_process else default_workers()


class BeamPool:
    """`submit(log_probs) -> Future[list[Hypothesis]]`; workers=0 decodes in this process."""

    def __init__(self, spec: BeamSpec, workers: int | None = None):
        self.workers = auto_workers(spec) if workers is None else workers
        self._local = spec.build() if self.workers == 0 else None
        self._pool = None if self._local else ProcessPoolExecutor(
            self.workers, mp_context=get_context(spec.options.start_method),
            initializer=_init_worker, initargs=(spec,))

    def submit(self, log_probs: np.ndarray) -> Future:
        if self._pool is not None:
            return self._pool.submit(_decode_in_worker, log_probs)
        future: Future = Future()
        try:
            future.set_result(self._local.decode(log_probs))
        except Exception as exc:  # handed to the caller through the future, as a pool would
            future.set_exception(exc)
        return future

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> "BeamPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
