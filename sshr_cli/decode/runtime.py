"""How decoding uses the CPU: intra-op threads and the precision a model runs at.

    set_threads(None)                               # the cores this process may use
    precision_for("exp/cv_sshr", "int8", "cpu")    # "int8"; an ONNX export answers its own precision
"""

from __future__ import annotations

import os


def available_cores() -> int:
    """Cores this process may run on (CPU affinity, e.g. taskset or a container's cpuset)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_threads(threads: int | None) -> int:
    """torch's intra-op threads (onnxruntime sessions take torch's count): `threads`, else every
    available core. Process-wide: called at the edge (the CLI)."""
    import torch

    n = threads or available_cores()
    torch.set_num_threads(n)
    return n


def precision_for(model: str, precision: str, device: str) -> str:
    """What `precision` runs as for this model on this device, before loading it (for the CLI to print)."""
    from sshr_cli.hub import resolve_checkpoint
    from sshr_cli.model.precision import resolve_precision
    from sshr_cli.onnx_model import export_precision, is_onnx_folder, read_export

    folder = resolve_checkpoint(model)
    if is_onnx_folder(folder):
        return export_precision(folder, read_export(folder), precision)
    return resolve_precision(precision, device)
