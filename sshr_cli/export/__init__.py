"""Deployable exports of a checkpoint: `sshr export onnx` (onnx.py)."""

from sshr_cli.export.onnx import ExportReport, export_onnx

__all__ = ["ExportReport", "export_onnx"]
