"""`sshr analyze`: per-layer probes of an encoder, and the SSHR layers they recommend."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sshr_cli.analyze import config as analyze_defaults  # plain constants; no torch
from sshr_cli.cli._app import cli_errors, console, examples, out, quiet_transformers, split_csv
from sshr_cli.cli._progress import library_bars, progress_option, task_bars

EXAMPLES = examples(
    "sshr analyze --langs en,de",
    "sshr analyze --model facebook/mms-300m --max-utts 50 --out analysis_mms",
    "sshr analyze --model exp/cv_sshr --align-model exp/cv_ctc --device cuda --no-progress")


@cli_errors
def analyze(
    model: Optional[str] = typer.Option(None, help="Encoder: Hub id or folder (plain, HF *ForCTC or sshr "
                                        "checkpoint). Default: the workspace model (facebook/mms-300m)."),
    data: Optional[Path] = typer.Option(None, help="Prepared manifests (default: the workspace data folder)."),
    langs: Optional[str] = typer.Option(None, help="Comma-separated languages (default: all prepared)."),
    max_utts: int = typer.Option(analyze_defaults.DEFAULT_MAX_UTTS, help="Utterances per language, from all its splits."),
    max_frames: int = typer.Option(analyze_defaults.DEFAULT_MAX_FRAMES, help="Frames sampled for the phone probe, in all."),
    out_dir: Path = typer.Option(Path(analyze_defaults.DEFAULT_OUT_DIR), "--out", help="Where layers.json/png and recommended.yaml go."),
    align_model: Optional[str] = typer.Option(None, help="CTC checkpoint whose forced alignments label the phone "
                                              "frames (default: the latest run when its units match the data; "
                                              "else uniform segments of the speech region, with a warning)."),
    batch_s: float = typer.Option(analyze_defaults.DEFAULT_ANALYZE_BATCH_S, help="Seconds of audio per forward pass."),
    device: str = typer.Option("auto", help="auto | cpu | cuda | cuda:N."),
    seed: int = typer.Option(0, help="Utterance sampling, speaker split and frame sampling."),
    progress: bool = progress_option(),
) -> None:
    """Per-layer language and content probes, to choose the SSHR layers."""
    from sshr_cli.analyze import AnalyzeConfig, run_analysis
    from sshr_cli.analyze.aligner_choice import pick_align_model
    from sshr_cli.analyze.report import print_report
    from sshr_cli.workspace import load_workspace

    quiet_transformers(warnings=True)  # our own bar below; transformers' weight-loading bars are noise here
    library_bars(progress)
    ws = load_workspace()
    align_model, note = pick_align_model(align_model, ws.data_dir(data))
    config = AnalyzeConfig(model=ws.model(model), data_dir=ws.data_dir(data), langs=tuple(split_csv(langs) or ()),
                           out_dir=out_dir, max_utts=max_utts, max_frames=max_frames, align_model=align_model,
                           batch_s=batch_s, device=device, seed=seed)
    with task_bars(progress) as task:
        result = run_analysis(config, progress=task)
    console.print(note if align_model else f"[yellow]warning:[/] {note}", soft_wrap=True)  # after: an error
    print_report(result, console, out)  # in the run stays the only line
