"""Which CTC checkpoint labels the content probe's frames: --align-model, else the workspace's latest
run when it was trained on the same units as the analysed data, else none (uniform labels, with a
warning saying why).

    model, note = pick_align_model(None, data_dir)   # ("exp/run", "latest run ...") or (None, "warning text")
"""

from __future__ import annotations

from pathlib import Path

from sshr_cli.errors import SshrError


def pick_align_model(flag: str | None, data_dir: Path) -> tuple[str | None, str]:
    """(align model or None, a line saying which labelling is used and why)."""
    if flag:
        return flag, f"frame labels: forced alignment with --align-model {flag}"
    from sshr_cli.data.manifest import prepared_units
    from sshr_cli.runs import checkpoint_folder, recorded_units
    from sshr_cli.workspace import load_workspace

    run = load_workspace().latest_run()
    if run is None:
        return None, ("no CTC checkpoint to align with (no --align-model, no run in this workspace): "
                      "frame labels are uniform segments of the speech region (rougher); pass --align-model")
    try:
        units, theirs = prepared_units(data_dir), recorded_units(checkpoint_folder(run))
    except SshrError as exc:
        return None, f"latest run {run} cannot align ({exc}): frame labels are uniform; pass --align-model"
    if theirs != units:
        return None, (f"latest run {run} was trained on {theirs or 'unknown'} units, the data has {units}: "
                      "frame labels are uniform segments of the speech region; pass --align-model")
    return str(run), f"frame labels: forced alignment with the latest run {run} (same units: {units})"
