"""`sshr export ...`: deployable copies of a checkpoint (ONNX for onnxruntime)."""

from __future__ import annotations

from pathlib import Path

import typer

from sshr_cli.cli._app import cli_errors, console, examples, quiet_transformers

export_app = typer.Typer(help="Deployable exports of a checkpoint.", no_args_is_help=True)


@export_app.command("onnx", epilog=examples(
    "sshr export onnx exp/cv_sshr --out exp/cv_sshr/onnx",
    "sshr export onnx exp/cv_sshr/best --out deploy/onnx-int8 --int8"))
@cli_errors
def export_onnx_command(
    model: str = typer.Argument(..., help="Run folder, checkpoint folder or Hub id."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write (model.onnx, vocab, configs); replaced."),
    int8: bool = typer.Option(False, "--int8", help="Dynamic int8 quantisation (onnxruntime): smaller, faster on CPU."),
) -> None:
    """Export a checkpoint to ONNX; decode it with `sshr decode --model OUT clip.wav`."""
    from sshr_cli.export import export_onnx

    quiet_transformers()
    _quiet_exporter()
    report = export_onnx(model, out, int8=int8)
    console.print(f"wrote {report.folder}: model.onnx {report.size_mb:g} MB, {report.precision}, "
                  f"opset {report.opset}; decode it with: sshr decode --model {report.folder} AUDIO", soft_wrap=True)


def _quiet_exporter() -> None:
    """The exporter's and the quantiser's per-op notes (constant folding, skipped torchvision ops,
    shape inference) are warnings through logging, not for users; errors still show."""
    import logging

    logging.disable(logging.WARNING)
