"""`sshr export onnx`: a checkpoint as one ONNX graph that onnxruntime runs on a CPU.

    report = export_onnx("exp/cv_sshr", "exp/cv_sshr/onnx", int8=True)
    # then: sshr decode --model exp/cv_sshr/onnx talk.wav

The graph maps input_values [B, S] float32 and attention_mask [B, S] int64 to log_probs
[B, T, V], lengths [B] and, for SSHR checkpoints with a LID head, lid_probs [B, n_langs]; batch
and sample axes are dynamic. SSHR exports whole (language frame, Cross-CTC, LID head). `int8`:
onnxruntime's dynamic quantisation (int8 weights of MatMul/Gemm, activations quantised per batch).
The folder also keeps the checkpoint's small files (vocab, configs, unigrams, training records), so
LM decoding and json outputs work as with the checkpoint; sshr_onnx.json says how to run it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sshr_cli.errors import CheckpointError, require
from sshr_cli.io import atomic_dir, write_json
from sshr_cli.onnx_model import ONNX_INPUTS, ONNX_OUTPUTS
from sshr_cli.runs import ONNX_CONFIG_FILE, ONNX_FILE, TRAINER_STATE, WEIGHTS_FILE

EXAMPLE_SAMPLES = (16_000, 11_200)  # the traced example batch: two waves of different lengths (1 s, 0.7 s)
SKIPPED_FILES = (WEIGHTS_FILE, TRAINER_STATE)  # the weights live in model.onnx; optimizer state is not served


@dataclass(frozen=True)
class ExportReport:
    folder: Path
    precision: str  # fp32 | int8
    opset: int
    size_mb: float


def export_onnx(model: str | Path, out: str | Path, int8: bool = False) -> ExportReport:
    """Export a run folder, checkpoint folder or Hub id to `out` (replaced atomically)."""
    from sshr_cli.hub import load_recognizer, resolve_checkpoint
    from sshr_cli.model.fast_frontend import use_hf_frontend

    require("onnxscript", "onnx")  # the exporter (dynamo=True) needs it; onnxruntime for int8 and decoding
    ort = require("onnxruntime", "onnx")
    source = resolve_checkpoint(model)
    if (source / ONNX_FILE).is_file():
        raise CheckpointError(f"{source} is already an ONNX export; pass the checkpoint or run folder it came from")
    rec = load_recognizer(model, device="cpu")
    use_hf_frontend(rec.model)  # trace HF's Conv layers, not the CPU fast path
    with atomic_dir(out) as tmp:
        _copy_small_files(source, tmp)
        n_out = _trace(rec, tmp / ONNX_FILE)
        if int8:
            _quantize(tmp / ONNX_FILE)
        opset = _opset(tmp / ONNX_FILE)
        write_json(tmp / ONNX_CONFIG_FILE, _export_config(rec, int8, opset, ort.__version__, n_out))
    size = (Path(out) / ONNX_FILE).stat().st_size / 2**20
    return ExportReport(Path(out), "int8" if int8 else "fp32", opset, round(size, 1))


def _copy_small_files(source: Path, dest: Path) -> None:
    for path in source.iterdir():
        if path.is_file() and path.name not in SKIPPED_FILES:
            shutil.copy2(path, dest / path.name)


def _graph(rec):
    """rec's model as the exported module: waves in, log-probs, lengths (and LID probabilities) out."""
    import torch

    class Graph(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = rec.model

        def forward(self, input_values, attention_mask):
            if rec.kind == "sshr":
                out = self.model(input_values=input_values, attention_mask=attention_mask)
                heads = (out.logits.log_softmax(-1), out.output_lengths)
                return heads if out.lid_logits is None else (*heads, out.lid_logits.softmax(-1))
            logits = self.model(input_values=input_values, attention_mask=attention_mask).logits  # [B, T, V]
            return logits.log_softmax(-1), self.model._get_feat_extract_output_lengths(attention_mask.sum(-1))

    return Graph().eval()


def _trace(rec, path: Path) -> int:
    """torch.onnx.export (dynamo) with dynamic batch and sample axes, on an example batch of two lengths."""
    import warnings

    import torch

    waves = [torch.randn(n).numpy() for n in EXAMPLE_SAMPLES]
    x, mask = rec.batch(waves)  # [B, S], [B, S]
    dims = {0: torch.export.Dim.DYNAMIC, 1: torch.export.Dim.DYNAMIC}
    graph = _graph(rec)
    n_out = len(graph(x, mask))
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(graph, (x, mask), dynamo=True, input_names=list(ONNX_INPUTS),
                                    output_names=list(ONNX_OUTPUTS[:n_out]),
                                    dynamic_shapes={"input_values": dims, "attention_mask": dims}, verbose=False)
    program.save(str(path))
    return n_out


def _quantize(path: Path) -> None:
    fp32 = path.with_name("model.fp32.onnx")
    path.rename(fp32)
    quantize_onnx(fp32, path)
    fp32.unlink()


def quantize_onnx(src: Path, dst: Path) -> None:
    """Dynamic int8 of the MatMul weights (the Linear layers, as the torch int8 path does). Convs stay
    fp32: the positional conv's weight is computed in the graph (weight norm), which onnxruntime's
    Conv quantiser refuses ("Expected ... to be an initializer")."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])


def _opset(path: Path) -> int:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))


def _export_config(rec, int8: bool, opset: int, ort_version: str, n_out: int) -> dict:
    import torch

    enc = rec._encoder_config()
    encoder = {k: getattr(enc, k) for k in ("conv_kernel", "conv_stride", "feat_extract_norm") if hasattr(enc, k)}
    return {"kind": rec.kind, "languages": list(rec.languages), "do_normalize": rec.do_normalize,
            "frame_stride_s": rec.frame_stride_s, "precision": "int8" if int8 else "fp32", "opset": opset,
            "inputs": list(ONNX_INPUTS), "outputs": list(ONNX_OUTPUTS[:n_out]),
            "encoder": encoder, "meta": rec.meta, "source": rec.source,
            "versions": {"torch": torch.__version__, "onnxruntime": ort_version}}
