"""What `sshr decode` decides besides the decoding itself: which model, how much audio there
is (for the progress bar), one file to rendered text, and when a run decoded nothing.

    model, latest = pick_model(None)          # the workspace's latest run
    text = decode_one(model, "talk.wav", "srt", DecodeOptions())
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from sshr_cli.decode.run import DecodeReport, decoder_meta, recognizer_for
from sshr_cli.decode.transcribe import DecodeOptions, logger, transcribe
from sshr_cli.decode.writers import render
from sshr_cli.errors import ConfigError, DataError, SshrError


def pick_model(flag: str | None) -> tuple[str, bool]:
    """(model, taken from the workspace): --model, else the workspace's latest run."""
    if flag:
        return flag, False
    from sshr_cli.workspace import load_workspace

    run = load_workspace().latest_run()
    if run is None:
        raise ConfigError("no --model given and no training run in this folder (sshr finetune records one); "
                          "pass --model CHECKPOINT_OR_HUB_ID")
    return str(run), True


def audio_seconds(paths: Iterable[str | Path]) -> float:
    """Total duration of the readable files; unreadable ones count 0 (decoding reports them)."""
    from sshr_cli.audio import audio_info

    total = 0.0
    for p in paths:
        try:
            total += audio_info(p).duration_s
        except SshrError:
            pass  # reported as a skip when it is decoded
    return total


def manifest_seconds(manifest: str | Path) -> float:
    """Total `duration` of a manifest's usable rows (bad rows are reported when it is decoded)."""
    from sshr_cli.data.manifest import load_manifest

    return sum(r["duration"] for r in load_manifest(manifest, skipped=[]))


def default_manifest_out(manifest: Path) -> Path:
    """data/en/test.jsonl -> data/en/test.hyps.jsonl"""
    return manifest.with_name(f"{manifest.stem}.hyps.jsonl")


def decode_one(model: str, path: Path, fmt: str, options: DecodeOptions = DecodeOptions(),
               lang: str | None = None, warn: Callable[[str], None] = logger.warning,
               device: str = "cpu", on_language: Callable[[str, float], None] | None = None) -> str:
    """One audio file -> its transcript rendered as `fmt`; an unreadable file is a DataError.
    `on_language(code, probability)` hears the language head's answer (sshr models only)."""
    rec = recognizer_for(model, device, lang)
    t = transcribe(rec, [path], options, warn=warn)[0]
    if t.error:
        raise DataError(t.error)
    if on_language is not None and t.lang and t.lang_prob is not None:
        on_language(t.lang, t.lang_prob)
    if not t.text:
        warn(f"{path}: empty transcript: the model emitted only blanks (undertrained, or no speech)")
    return render(t, fmt, decoder_meta(rec, options, lang))


def check_decoded(report: DecodeReport) -> None:
    """A run that decoded nothing is an error, not a quiet success."""
    if report.done == 0:
        raise DataError(f"nothing decoded: {len(report.skipped)} input(s) skipped (see above)")
