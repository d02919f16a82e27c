"""Training logs: metrics.jsonl (one row per log/eval), TensorBoard events, a rich progress bar,
and at the end a PNG of the train/dev curves. Only rank 0 creates any of them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from sshr_cli.errors import DataError
from sshr_cli.io import atomic_path, dumps, read_text_lines, write_jsonl

METRICS_FILE = "metrics.jsonl"
CURVES_FILE = "curves.png"
TB_DIR = "tb"


def read_metrics(path: Path) -> tuple[list[dict], str | None]:
    """metrics.jsonl's rows, and its last line if a killed run left it cut short (dropped); a bad
    line before the last one is a DataError."""
    lines = [x for x in read_text_lines(path) if x.strip()]
    rows = []
    for n, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if isinstance(row, dict):
            rows.append(row)
        elif n == len(lines):
            return rows, line[:60]
        else:
            raise DataError(f"{path}:{n}: not a JSON object; delete the line (or the file) to go on")
    return rows, None


def _finite_or_null(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_null(v) for v in value]
    return value


class MetricsLog:
    """Append rows to OUT/metrics.jsonl and TensorBoard; a resumed run first drops rows after its step."""

    def __init__(self, out_dir: Path, resume_step: int | None = None, tensorboard: bool = True):
        self.path = out_dir / METRICS_FILE
        self.notes: list[str] = []  # what the caller should say (a torn last line dropped)
        if self.path.is_file():
            rows, torn = read_metrics(self.path)
            if torn:
                self.notes.append(f"{self.path}: dropped its last line, cut short by an interrupted run ({torn!r})")
            keep = [r for r in rows if resume_step is not None and r.get("step", 0) <= resume_step]
            write_jsonl(self.path, keep)
        self.tb = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter  # needs the `tensorboard` package

            self.tb = SummaryWriter(str(out_dir / TB_DIR), purge_step=(resume_step + 1) if resume_step else None)

    def write(self, row: dict) -> None:
        row = _finite_or_null(row)  # strict JSON: a NaN/inf loss is logged as null
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(dumps(row) + "\n")
        if self.tb is not None:
            split = row.get("split", "train")
            for key, value in _flat(row).items():
                if isinstance(value, (int, float)) and key not in ("step", "epoch"):
                    self.tb.add_scalar(f"{split}/{key}", value, row["step"])

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()


def _flat(row: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in row.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}/"))
        else:
            flat[prefix + key] = value
    return flat


class ProgressBar:
    """Rich bar: step/total, loss, lr, audio hours per hour of wall time, ETA. Silent when disabled."""

    def __init__(self, console, total: int, start: int, enabled: bool):
        self.bar = None
        if not enabled:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("[bold]finetune"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[info]}"), TimeRemainingColumn(), console=console,
                            transient=False)
        self.task = self.bar.add_task("train", total=total, completed=start, info="")
        self.bar.start()

    def update(self, step: int, info: str) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=step, info=info)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def plot_curves(out_dir: Path) -> Path | None:
    """Train/dev loss and dev error rate from metrics.jsonl -> OUT/curves.png."""
    path = out_dir / METRICS_FILE
    if not path.is_file():
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, _ = read_metrics(path)
    train = [r for r in rows if r.get("split") == "train"]
    dev = [r for r in rows if r.get("split") == "dev"]
    fig, (ax_loss, ax_err) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot([r["step"] for r in train], [r["loss"] for r in train], label="train loss")
    full = [r for r in dev if r.get("eval_set", "full") == "full"]
    ax_loss.plot([r["step"] for r in full], [r["loss"] for r in full], "o-", label="dev loss")
    ax_loss.set_xlabel("update"), ax_loss.set_yscale("log"), ax_loss.legend()
    for eval_set in ("full", "subset"):  # train.eval_max_utterances: subset rows, and full rows for best/
        rows_ = [r for r in dev if r.get("eval_set", "full") == eval_set]
        if rows_:
            name = "dev" if eval_set == "full" else "dev subset"
            ax_err.plot([r["step"] for r in rows_], [100 * r["error_rate"] for r in rows_], "o-" if eval_set == "full"
                        else "x:", label=f"{name} {rows_[-1].get('metric', 'error').upper()}")
    if dev:
        ax_err.set_ylabel("%"), ax_err.set_xlabel("update"), ax_err.legend()
    fig.tight_layout()
    png = out_dir / CURVES_FILE
    with atomic_path(png) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
    return png
