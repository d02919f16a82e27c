"""`sshr decode`: one file to stdout, files and folders to transcript files, or a manifest to a manifest."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape

from sshr_cli.cli._app import cli_errors, console, examples, quiet_transformers, split_csv
from sshr_cli.cli._progress import library_bars, progress_option, seconds_bar
from sshr_cli.constants import (DEFAULT_ALPHA, DEFAULT_BEAM_WIDTH, DEFAULT_BETA, DEFAULT_CHUNK_S,
                                DEFAULT_HOTWORD_WEIGHT, DEFAULT_MAX_BATCH_S, DEFAULT_MAX_BATCH_S_CPU,
                                DEFAULT_STRIDE_S)
from sshr_cli.errors import ConfigError

EXAMPLES = examples(
    "sshr decode clip.wav",
    "sshr decode clips/ -o transcripts --format srt,json --model my-org/cv-sshr-en-de",
    "sshr decode --manifest data/en/test.jsonl --lm data/lm.arpa --no-progress")


@cli_errors
def decode(
    inputs: Optional[List[Path]] = typer.Argument(None, help="Audio files or folders (searched recursively)."),
    model: Optional[str] = typer.Option(None, "--model", "-m",
                                        help="Checkpoint folder, run folder or Hub id (default: the latest run)."),
    lm: Optional[Path] = typer.Option(None, help="KenLM model (ARPA or binary): beam search with LM fusion."),
    alpha: float = typer.Option(DEFAULT_ALPHA, help="LM weight."),
    beta: float = typer.Option(DEFAULT_BETA, help="Word insertion bonus."),
    beam_width: int = typer.Option(DEFAULT_BEAM_WIDTH, help="Hypotheses kept per frame (beam search)."),
    hotwords: Optional[str] = typer.Option(None, help="Comma-separated words to favour (beam search)."),
    hotword_weight: float = typer.Option(DEFAULT_HOTWORD_WEIGHT, help="Score bonus per hotword."),
    nbest: int = typer.Option(1, min=1, help="Hypotheses per file in json output (beam search)."),
    format: str = typer.Option("txt", "--format", "-f", help="txt, json, srt, vtt, tsv, comma-separated, or all."),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", "-o", help="Folder for transcript files (default with several "
                                                     "inputs: ./transcripts; one file prints to stdout)."),
    manifest: Optional[Path] = typer.Option(None, help="Decode a manifest instead of files."),
    out: Optional[Path] = typer.Option(None, help="Manifest out (default: <manifest>.hyps.jsonl)."),
    max_batch_seconds: Optional[float] = typer.Option(
        None, help=f"Audio seconds per inference batch (default: {DEFAULT_MAX_BATCH_S:g} on a GPU, "
                   f"{DEFAULT_MAX_BATCH_S_CPU:g} on a CPU)."),
    device: str = typer.Option("auto", help="cpu, cuda, cuda:N or auto."),
    precision: str = typer.Option("auto", help="GPU: auto (bf16 where supported), bf16, fp16, fp32. CPU: auto (fp32), "
                                  "fp32, int8 (quantised Linear layers), bf16 (CPUs with avx512_bf16/AMX)."),
    threads: Optional[int] = typer.Option(None, min=1, help="CPU threads for torch and onnxruntime "
                                          "(default: the cores available)."),
    chunk_seconds: float = typer.Option(DEFAULT_CHUNK_S, help="Long audio is decoded in windows this long (0: never)."),
    stride_seconds: float = typer.Option(DEFAULT_STRIDE_S, help="Context on each side of a window, discarded."),
    lang: Optional[str] = typer.Option(None, help="Decode as this language: an SSHR checkpoint with a language "
                                       "frame uses the language's stored mean frame (json: language_source "
                                       "\"forced\"); other checkpoints record it as expected_language."),
    workers: Optional[int] = typer.Option(None, min=0, help="Beam-search processes (default: all cores for "
                                          "pyctcdecode, 0 = in-process for flashlight)."),
    decoder: str = typer.Option("auto", help="Beam search: auto (flashlight when installed and no hotwords), "
                                "pyctcdecode or flashlight."),
    progress: bool = progress_option(),
) -> None:
    """Transcribe audio with a checkpoint (greedy, or beam search with a KenLM)."""
    from sshr_cli.decode import DecodeOptions
    from sshr_cli.decode.backends import check_backend
    from sshr_cli.decode.writers import parse_formats

    formats = parse_formats(format)
    check_backend(decoder)
    beam = _beam_options(lm=lm, alpha=alpha, beta=beta, beam_width=beam_width, hotwords=hotwords,
                         hotword_weight=hotword_weight, nbest=nbest, workers=workers, backend=decoder)
    options = DecodeOptions(chunk_s=chunk_seconds or None, stride_s=stride_seconds, max_batch_s=max_batch_seconds,
                            beam=beam, precision=precision)
    options.check()
    model_id, device = _model(model), _device(device)
    runtime = _runtime(model_id, precision, threads, device)  # checked now, printed once decoding worked
    quiet_transformers()
    library_bars(progress)
    if manifest is not None:
        _decode_manifest(model_id, manifest, out, options, device, progress, lang)
    elif not inputs:
        raise ConfigError("give audio files or folders to decode, or --manifest FILE.jsonl")
    elif len(inputs) == 1 and not inputs[0].is_dir() and out_dir is None and len(formats) == 1:
        _decode_one(model_id, inputs[0], formats[0], options, lang, device)
    else:
        _decode_many(model_id, inputs, out_dir or Path("transcripts"), formats, options, lang, device, progress)
    console.print(runtime)


def _beam_options(*, lm: Optional[Path], hotwords: Optional[str], nbest: int, **settings):
    """Beam search when an LM, hotwords or an n-best list asks for it; else None (greedy)."""
    from sshr_cli.decode import BeamOptions

    if lm is None and not hotwords and nbest <= 1:
        return None
    beam = BeamOptions(lm_path=str(lm) if lm else None, hotwords=tuple(split_csv(hotwords) or ()), nbest=nbest,
                       **settings)
    beam.check()
    return beam


def _model(flag: Optional[str]) -> str:
    from sshr_cli.decode.session import pick_model

    model, latest = pick_model(flag)
    if latest:
        console.print(f"model: {model} (latest run)")
    return model


def _device(name: str) -> str:
    from sshr_cli.model.inference import resolve_device

    return resolve_device(name)


def _runtime(model: str, precision: str, threads: Optional[int], device: str) -> str:
    """Set the threads and check the precision; the line that says what ran (printed after decoding, so
    that an error stays the only line)."""
    from sshr_cli.decode.runtime import precision_for, set_threads

    used, n = precision_for(model, precision, device), set_threads(threads)
    return f"precision: {used}" + ("" if str(device).startswith("cuda") else f", {n} CPU thread(s)")


def _warn(message: str) -> None:
    console.print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True)


def _skip(message: str) -> None:
    console.print(f"[yellow]skipped:[/] {escape(message)}", soft_wrap=True)


def _decode_one(model: str, path: Path, fmt: str, options, lang: Optional[str], device: str) -> None:
    from sshr_cli.decode.session import decode_one

    sys.stdout.write(decode_one(model, path, fmt, options, lang=lang, warn=_warn, device=device,
                                on_language=_detected))


def _detected(code: str, probability: float) -> None:
    from sshr_cli.text.languages import language_name

    console.print(f"Detected language: {language_name(code)} ({probability:.2f})", markup=False)


def _decode_many(model: str, inputs: List[Path], out_dir: Path, formats, options, lang, device: str,
                 show_progress: bool) -> None:
    from sshr_cli.decode.run import decode_paths, find_audio
    from sshr_cli.decode.session import audio_seconds

    found, _ = find_audio(inputs)
    with seconds_bar("decoding", audio_seconds(p for p, _ in found), show_progress) as advance:
        report = decode_paths(model, inputs, out_dir, formats, options, lang=lang, progress=advance, warn=_warn,
                              on_skip=_skip, device=device)
    _summary(report, f"{', '.join(formats)} in {out_dir}")


def _decode_manifest(model: str, manifest: Path, out: Optional[Path], options, device: str,
                     show_progress: bool, lang: Optional[str]) -> None:
    from sshr_cli.decode.run import decode_manifest
    from sshr_cli.decode.session import default_manifest_out, manifest_seconds

    out = out or default_manifest_out(manifest)
    with seconds_bar("decoding", manifest_seconds(manifest), show_progress) as advance:
        report = decode_manifest(model, manifest, out, options, progress=advance, warn=_warn, on_skip=_skip,
                                 device=device, lang=lang)
    _summary(report, str(out))


def _summary(report, where: str) -> None:
    from sshr_cli.decode.session import check_decoded

    check_decoded(report)
    skipped = f", skipped {len(report.skipped)}" if report.skipped else ""
    console.print(f"decoded {report.done} file(s){skipped} -> {where}")
