"""Train metrics between two log rows: losses, gradient norms, audio seconds, time spent waiting for data.

    window = MetricsWindow()
    micro = window.fetch(batches, grad_accum)   # times the data loader
    window.add_batch(batch); window.add_update(loss, parts, norm)
    row = window.row(state, optimizer, info)    # one metrics.jsonl row; the window starts over

Losses and norms stay device tensors until row() (one host sync per log row, not per update).
"""

from __future__ import annotations

import time

import torch

from sshr_cli.train import distributed


class MetricsWindow:
    """Train metrics accumulated between log rows (device tensors until a row is written)."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        """Start a new window: nothing accumulated, the clock at now."""
        self.loss, self.parts, self.norms, self.updates = 0.0, {}, [], 0
        self.audio, self.padded, self.data_s = 0.0, 0.0, 0.0
        self.t0 = time.perf_counter()

    def fetch(self, batches, n: int) -> list:
        """The next n micro-batches, timing the wait for the data loader."""
        t = time.perf_counter()
        micro = [next(batches) for _ in range(n)]
        self.data_s += time.perf_counter() - t
        return micro

    def add_batch(self, batch) -> None:
        self.audio += batch.audio_seconds
        self.padded += batch.padded_seconds

    def add_update(self, loss, parts: dict, norm) -> None:
        self.loss += loss
        self.updates += 1
        self.norms.append(norm)
        for k, v in parts.items():
            self.parts[k] = self.parts.get(k, 0.0) + v

    def row(self, state, optimizer, info: distributed.DistInfo) -> dict:
        """The window as a metrics row (summed over ranks where it matters); then the window starts over."""
        audio, padded = distributed.sum_floats([self.audio, self.padded], info)
        elapsed = time.perf_counter() - self.t0
        n = max(self.updates, 1)
        lrs = {f"lr_{g.get('name', i)}": g["lr"] for i, g in enumerate(optimizer.param_groups)}
        norm = float(torch.stack(self.norms).float().mean()) if self.norms else 0.0
        row = {"step": state.step, "split": "train", "epoch": state.epoch, "loss": float(self.loss) / n,
               **{k: float(v) / n for k, v in self.parts.items()}, **lrs, "grad_norm": norm,
               "audio_s_per_s": audio / max(elapsed, 1e-9), "padding": 1 - audio / max(padded, 1e-9),
               "data_wait": self.data_s / max(elapsed, 1e-9), "bad_steps": state.bad_steps_total}
        self.reset()
        return row
