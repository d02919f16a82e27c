"""An `sshr export onnx` folder run by onnxruntime, behind the Recognizer interface.

    rec = load_onnx("exp/cv_sshr/onnx")      # what sshr_cli.hub.load_recognizer does for such a folder
    out = rec([wave_16k])                      # RecognizerOutput: log_probs [B, T, V], lengths [B], lid_probs

The folder (written by sshr_cli.export.onnx) holds model.onnx, the checkpoint's vocab.json,
config.json, preprocessor_config.json and training records, and sshr_onnx.json: what this module
needs to run the graph (kind, languages, the conv front end's kernels and strides, precision).
The decode pipeline (batching, chunking, greedy and LM decoders, writers) does not know the
difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Sequence

import numpy as np

from sshr_cli.errors import ConfigError, require
from sshr_cli.model.constants import ENCODER_FRAME_STRIDE_S, ONNX_CONFIG_FILE, ONNX_FILE
from sshr_cli.model.fileio import read_json
from sshr_cli.model.inference import Recognizer, RecognizerOutput
from sshr_cli.model.vocab import Vocab

ONNX_INPUTS = ("input_values", "attention_mask")  # [B, S] float32, [B, S] int64 (1 = sample)
ONNX_OUTPUTS = ("log_probs", "lengths", "lid_probs")  # [B, T, V] float32, [B] int64, [B, n_langs] (sshr+LID)


def is_onnx_folder(folder: str | Path) -> bool:
    return (Path(folder) / ONNX_FILE).is_file()


def onnxruntime():
    """The onnxruntime module, or a one-line MissingDependencyError naming the extra."""
    return require("onnxruntime", "onnx")


def read_export(folder: Path) -> dict:
    return read_json(Path(folder) / ONNX_CONFIG_FILE, hint="expected a folder written by `sshr export onnx`")


def export_precision(folder: Path, export: dict, precision: str) -> str:
    """The export's own precision; asking for another one is a ConfigError (export again instead)."""
    exported = export["precision"]
    if precision in ("auto", exported):
        return exported
    again = "with --int8" if precision == "int8" else "without --int8"
    raise ConfigError(f"{folder}: this ONNX export runs {exported}, not {precision}; use --precision auto, "
                      f"or export again {again}")


@dataclass
class OnnxRecognizer(Recognizer):
    export: dict = field(default_factory=dict)  # sshr_onnx.json

    def __call__(self, waves: Sequence[np.ndarray], precision: str = "auto") -> RecognizerOutput:
        """As Recognizer's, at the export's own precision by default."""
        return super().__call__(waves, precision)

    def precision_used(self, precision: str) -> str:
        return export_precision(self.folder, self.export, precision)

    @property
    def has_language_frame(self) -> bool:
        """The exported graph pools its own frame; forcing one (--lang) needs the PyTorch checkpoint."""
        return False

    def _encoder_config(self):
        return SimpleNamespace(**self.export["encoder"])  # conv_kernel, conv_stride, feat_extract_norm

    def _forward(self, waves: Sequence[np.ndarray], precision: str) -> RecognizerOutput:
        import torch

        self.precision_used(precision)
        x, mask = self.batch(waves)  # [B, S], [B, S]
        outs = self.model.run(None, {"input_values": x.numpy(), "attention_mask": mask.numpy()})
        lid = torch.from_numpy(outs[2]) if len(outs) > 2 else None  # [B, n_langs]
        return RecognizerOutput(torch.from_numpy(outs[0]), torch.from_numpy(outs[1]), lid)


def load_onnx(folder: str | Path, source: str | None = None, threads: int | None = None) -> OnnxRecognizer:
    """An ONNX export folder as a recogniser on the CPU; `threads`: onnxruntime intra-op threads
    (default: torch's, which `sshr decode --threads` sets)."""
    import torch

    ort, folder = onnxruntime(), Path(folder)
    export = read_export(folder)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"])
    return OnnxRecognizer(session, Vocab.load(folder), export["kind"], str(folder) if source is None else source,
                          languages=tuple(export["languages"]), do_normalize=export["do_normalize"], device="cpu",
                          frame_stride_s=export.get("frame_stride_s", ENCODER_FRAME_STRIDE_S),
                          meta=export.get("meta", {}), folder=folder, export=export)
