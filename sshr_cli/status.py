"""`sshr status`: the workspace at a glance (corpora, prepared data, runs, what push would do).

Everything is read from files (no model is loaded, nothing touches the network), so it is
instant and safe to run anywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sshr_cli.constants import WORKSPACE_FILE
from sshr_cli.data.manifest import report_path
from sshr_cli.errors import DataError, SshrError
from sshr_cli.runs import BEST, TRAIN_SUMMARY_FILE, is_run_folder, read_json
from sshr_cli.workspace import ENV, Workspace

REWRITE_HINT = "re-run the command that wrote it"


@dataclass
class RunInfo:
    path: Path
    step: int | None = None
    metric: str | None = None
    best_dev_error: float | None = None
    languages: tuple[str, ...] = ()


@dataclass
class WorkspaceStatus:
    root: Path
    settings_file: Path | None
    env: dict[str, str]
    corpus: str  # path and how it was found, or why none was
    data_dir: Path
    prepared: dict = field(default_factory=dict)  # prepare_report.json, or {}
    runs: list[RunInfo] = field(default_factory=list)
    latest_run: Path | None = None
    model: str = ""


def _corpus(ws: Workspace) -> str:
    try:
        path, how = ws.commonvoice_dir()
        return f"{path} ({how})"
    except SshrError as exc:
        return f"none: {str(exc).split('. ')[0]}"


def _run_info(run_dir: Path) -> RunInfo:
    summary_path = run_dir / BEST / TRAIN_SUMMARY_FILE
    if not summary_path.is_file():
        return RunInfo(run_dir)
    summary = read_json(summary_path, DataError, hint=REWRITE_HINT)
    dev = summary.get("dev") or {}
    return RunInfo(run_dir, summary.get("step"), dev.get("metric"), dev.get("error_rate"),
                   tuple(summary.get("languages") or ()))


def _run_dirs(ws: Workspace) -> list[Path]:
    recorded = ws.runs()
    exp = ws.exp_dir()
    found = sorted(p for p in exp.glob("*") if is_run_folder(p)) if exp.is_dir() else []
    return recorded + [p for p in found if p not in recorded]


def workspace_status(ws: Workspace) -> WorkspaceStatus:
    data_dir = ws.data_dir()
    report = report_path(data_dir)
    prepared = read_json(report, DataError, hint=REWRITE_HINT) if report.is_file() else {}
    settings = ws.root / WORKSPACE_FILE
    return WorkspaceStatus(
        root=ws.root, settings_file=settings if settings.is_file() else None,
        env={k: os.environ[k] for k in ENV.values() if os.environ.get(k)},
        corpus=_corpus(ws), data_dir=data_dir, prepared=prepared,
        runs=[_run_info(p) for p in _run_dirs(ws)], latest_run=ws.latest_run(), model=ws.model(),
    )


def prepared_rows(prepared: dict) -> list[tuple[str, ...]]:
    """(lang, train h, dev h, test h, kept train/dev/test) from prepare_report.json."""
    rows = []
    for lang, splits in sorted(prepared.get("langs", {}).items()):
        hours = [splits.get(s, {}).get("hours") for s in ("train", "dev", "test")]
        kept = [splits.get(s, {}).get("kept") for s in ("train", "dev", "test")]
        rows.append((lang, *("-" if h is None else f"{h:.2f}" for h in hours),
                     "/".join("-" if k is None else str(k) for k in kept)))
    return rows


def render(status: WorkspaceStatus, console) -> None:
    from rich.markup import escape
    from rich.table import Table

    console.print(f"[bold]workspace[/] {status.root}"
                  + (f"  (settings: {status.settings_file.name})" if status.settings_file else ""))
    for key, value in status.env.items():
        console.print(f"  ${key}={escape(value)}")
    console.print(f"[bold]Common Voice release[/] {escape(status.corpus)}", soft_wrap=True)
    if status.prepared:
        table = Table(title=f"prepared in {status.data_dir} ({status.prepared.get('units')}, "
                            f"{status.prepared.get('source')})")
        for name in ("lang", "train h", "dev h", "test h", "kept train/dev/test"):
            table.add_column(name)
        for row in prepared_rows(status.prepared):
            table.add_row(*row)
        console.print(table)
    else:
        console.print(f"[bold]prepared data[/] none in {status.data_dir} (run: sshr prepare commonvoice --langs ...)")
    _render_runs(status, console)


def _render_runs(status: WorkspaceStatus, console) -> None:
    from rich.table import Table

    if not status.runs:
        console.print(f"[bold]runs[/] none (run: sshr finetune; encoder default {status.model})", markup=True)
        return
    table = Table(title="runs")
    for name in ("run", "update", "best dev error", "languages", "latest"):
        table.add_column(name)
    for run in status.runs:
        err = "-" if run.best_dev_error is None else f"{run.metric.upper()} {100 * run.best_dev_error:.1f}%"
        table.add_row(str(run.path.relative_to(status.root) if run.path.is_relative_to(status.root) else run.path),
                      "-" if run.step is None else str(run.step), err, ",".join(run.languages),
                      "yes" if status.latest_run and run.path == status.latest_run else "")
    console.print(table)
    if status.latest_run:
        from sshr_cli.hub import USER_PLACEHOLDER, default_repo_name

        console.print(f"[bold]push[/] `sshr push` would upload {status.latest_run}/{BEST} to "
                      f"{USER_PLACEHOLDER}/{default_repo_name(status.latest_run)} (see: sshr push --dry-run)",
                      markup=True)
