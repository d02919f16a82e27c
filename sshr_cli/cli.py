"""The `sshr` command line: thin Typer commands over library functions.

Each command parses flags, builds a config, makes one library call and turns typed errors
into one line on stderr plus a non-zero exit code. Heavy imports happen inside commands, so
`sshr --help` stays fast.
"""

from __future__ import annotations

import functools
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from sshr_cli import __version__
from sshr_cli.constants import (DEFAULT_ALPHA, DEFAULT_BEAM_WIDTH, DEFAULT_BETA, DEFAULT_CHUNK_S,
                                DEFAULT_HOTWORD_WEIGHT, DEFAULT_MAX_BATCH_S, DEFAULT_MAX_BATCH_S_CPU,
                                DEFAULT_STRIDE_S)
from sshr_cli.errors import ConfigError, DataError, NotBuiltError, SshrError

console = Console(stderr=True, highlight=False)
out = Console(highlight=False)  # stdout: transcripts and machine-readable output only

app = typer.Typer(
    name="sshr",
    help="Train and run multilingual CTC speech recognisers on self-supervised encoders (SSHR).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
prepare_app = typer.Typer(help="Corpus -> JSONL manifests, vocab.json and a report.", no_args_is_help=True)
lm_app = typer.Typer(help="n-gram language models for beam decoding.", no_args_is_help=True)
synth_app = typer.Typer(help="Generate test corpora (espeak-ng speech in real corpus layouts).",
                        no_args_is_help=True)
app.add_typer(prepare_app, name="prepare")
app.add_typer(lm_app, name="lm")
app.add_typer(synth_app, name="synth")


def cli_errors(fn):
    """Turn SshrError into one red line on stderr and its exit code; Ctrl-C into exit 130."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SshrError as exc:
            console.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/]; finished files are kept, re-run to resume")
            raise typer.Exit(130) from None

    return wrapper


def split_csv(value: Optional[str]) -> Optional[list[str]]:
    """'en, de,,fr' -> ['en', 'de', 'fr']; None stays None."""
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def not_built(command: str, issue: str) -> None:
    raise NotBuiltError(f"`sshr {command}` is not built yet in sshr {__version__} ({issue}); nothing was done")


def _version(value: bool) -> None:
    if value:
        out.print(f"sshr {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """sshr: prepare, finetune, decode, score and push CTC speech recognisers."""


# ---------------------------------------------------------------- synth
@synth_app.command("commonvoice")
@cli_errors
def synth_commonvoice(
    out_dir: Path = typer.Argument(..., help="Folder to write cv-corpus-<version>/ into."),
    langs: str = typer.Option("en,de,fr,es,it,nl,pl,sv", help="Comma-separated languages."),
    clips: int = typer.Option(50, min=3, help="Clips per language in train+dev+test."),
    seed: int = typer.Option(0, help="The corpus is a pure function of the seed."),
    version: str = typer.Option("0.1-synthetic", help="Release name: cv-corpus-<version>."),
    jobs: Optional[int] = typer.Option(None, min=1, help="Worker processes (default: all cores)."),
) -> None:
    """Write a corpus laid out exactly like a Common Voice release, spoken by espeak-ng."""
    from rich.progress import Progress

    from sshr_cli.data.synthetic import generate_commonvoice, plan_language

    lang_list = split_csv(langs) or []
    total = sum(len(plan_language(lang, clips, 10, seed)) for lang in lang_list)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("speaking", total=total)
        root_dir = generate_commonvoice(out_dir, lang_list, clips, seed, version, jobs=jobs,
                                        progress=lambda: bar.advance(task))
    console.print(f"wrote {total} clips in {len(lang_list)} languages to {root_dir}")


@synth_app.command("encoder")
@cli_errors
def synth_encoder(
    out_dir: Path = typer.Argument(..., help="Folder for the HF-format encoder (config.json, model.safetensors)."),
    layers: int = typer.Option(4, min=1, help="Transformer layers."),
    hidden: int = typer.Option(64, min=8, help="Hidden size (a multiple of --heads)."),
    heads: int = typer.Option(2, min=1, help="Attention heads."),
    front_end: str = typer.Option("filterbank", help="filterbank (fixed mel band-pass filters, learns on CPU in "
                                  "minutes) or random (the 7-layer conv stack, random like the rest)."),
    seed: int = typer.Option(0, help="Weights are a pure function of the seed."),
) -> None:
    """Write a tiny wav2vec2 encoder in HF format, transformer randomly initialised (a CPU stand-in for facebook/mms-300m)."""
    from sshr_cli.errors import ConfigError
    from sshr_cli.model.tiny import FRONT_ENDS, save_tiny_encoder

    if hidden % heads:
        raise ConfigError(f"--hidden {hidden} must be a multiple of --heads {heads}")
    if front_end not in FRONT_ENDS:
        raise ConfigError(f"--front-end {front_end!r}: use {' or '.join(FRONT_ENDS)}")
    save_tiny_encoder(out_dir, seed=seed, front_end=front_end, num_hidden_layers=layers, hidden_size=hidden,
                      num_attention_heads=heads, intermediate_size=2 * hidden)
    console.print(f"wrote a {layers}-layer, {hidden}-wide wav2vec2 encoder (random transformer, {front_end} "
                  f"front end) to {out_dir}")


# ---------------------------------------------------------------- prepare
def _run_prepare(source, out_dir: Path, units: str, jobs: Optional[int], resample_to_flac: bool,
                 **limits) -> None:
    """Shared tail of the prepare commands: progress bar, one library call, table and summary."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sshr_cli.data.prepare import DEFAULT_JOBS, PrepareOptions, prepare, print_report

    options = PrepareOptions(out_dir, units, jobs or DEFAULT_JOBS, resample_to_flac, **limits)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        result = prepare(source, options, progress)
    print_report(result, console)


@prepare_app.command("commonvoice")
@cli_errors
def prepare_commonvoice(
    corpus_dir: Optional[Path] = typer.Argument(None, help="cv-corpus-*/ release or one language folder "
                                                "(default: --corpus, $SSHR_COMMONVOICE_DIR, sshr.toml, "
                                                "./cv-corpus-*, ~/data/cv-corpus-*)."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="Same as CORPUS_DIR."),
    langs: Optional[str] = typer.Option(None, help="Comma-separated locales, e.g. en,de (default: all found)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: the workspace's data/)."),
    splits: str = typer.Option("train,dev,test", help="Comma-separated splits to prepare."),
    units: str = typer.Option("phonemes", help="Targets: phonemes (espeak-ng, the paper's CV setup) or chars."),
    jobs: Optional[int] = typer.Option(None, min=1, help="Parallel workers (default: all cores)."),
    resample_to_flac: bool = typer.Option(False, "--resample-to-flac", help="Also write 16 kHz FLAC copies."),
) -> None:
    """Common Voice release -> manifests, vocab and report."""
    from sshr_cli.data.commonvoice import commonvoice_source
    from sshr_cli.errors import ConfigError
    from sshr_cli.workspace import load_workspace

    if corpus_dir is not None and corpus is not None and corpus_dir.resolve() != corpus.resolve():
        raise ConfigError(f"two corpora given ({corpus_dir} and --corpus {corpus}); pass one")
    ws = load_workspace()
    root, how = ws.commonvoice_dir(corpus_dir or corpus)
    if how not in ("flag",):
        console.print(f"corpus: {root} ({how})", soft_wrap=True)
    source = commonvoice_source(root, split_csv(langs), split_csv(splits) or [])
    _run_prepare(source, ws.data_dir(out), units, jobs, resample_to_flac)


@prepare_app.command("mlsuperb")
@cli_errors
def prepare_mlsuperb(
    corpus_dir: Path = typer.Argument(..., help="ML-SUPERB root: <dataset>/<lang>/{wav/,transcript_*.txt}."),
    langs: Optional[str] = typer.Option(None, help="Comma-separated ISO 639-3 codes (default: all found)."),
    setting: str = typer.Option("10min", help="Train list: 10min or 1h per language-corpus pair."),
    few_shot: bool = typer.Option(True, "--few-shot/--no-few-shot",
                                  help="Keep only the 5 listed train utterances of the 20 few-shot languages."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: the workspace's data/)."),
    units: str = typer.Option("chars", help="Targets: chars (ML-SUPERB protocol) or phonemes."),
    jobs: Optional[int] = typer.Option(None, min=1, help="Parallel workers (default: all cores)."),
    resample_to_flac: bool = typer.Option(False, "--resample-to-flac", help="Also write 16 kHz FLAC copies."),
) -> None:
    """ML-SUPERB (ESPnet egs2/ml_superb layout) -> manifests, vocab and report."""
    from sshr_cli.data.mlsuperb import MIN_TRAIN_S, mlsuperb_source
    from sshr_cli.workspace import load_workspace

    source = mlsuperb_source(corpus_dir, split_csv(langs), setting, few_shot)
    _run_prepare(source, load_workspace().data_dir(out), units, jobs, resample_to_flac, min_train_s=MIN_TRAIN_S)


@prepare_app.command("folder")
@cli_errors
def prepare_folder(
    dir: Path = typer.Argument(..., help="Audio files with a <stem>.txt each, or a transcripts TSV."),
    lang: str = typer.Option("und", help="Language code of the whole folder (needed for phonemes)."),
    split: str = typer.Option("train", help="Split for files not under train/, dev/ or test/ subfolders."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: the workspace's data/)."),
    units: str = typer.Option("chars", help="Targets: chars or phonemes."),
    jobs: Optional[int] = typer.Option(None, min=1, help="Parallel workers (default: all cores)."),
    resample_to_flac: bool = typer.Option(False, "--resample-to-flac", help="Also write 16 kHz FLAC copies."),
) -> None:
    """A plain folder of audio + transcripts -> manifests, vocab and report."""
    from sshr_cli.data.folder import folder_source
    from sshr_cli.workspace import load_workspace

    source = folder_source(dir, lang, split)
    _run_prepare(source, load_workspace().data_dir(out), units, jobs, resample_to_flac)


# ---------------------------------------------------------------- finetune
@app.command()
@cli_errors
def finetune(
    config: Optional[str] = typer.Option(None, "--config", "-c", help="Recipe YAML or name under recipes/ "
                                         "(default: the SSHR recipe for the prepared units)."),
    data: Optional[Path] = typer.Option(None, "--data", help="Prepared data folder (default: ./data)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Run folder (default: ./exp/<recipe>_<langs>_<date>)."),
    model: Optional[str] = typer.Option(None, "--model", help="Encoder: Hub id or folder (default: facebook/mms-300m)."),
    langs: Optional[str] = typer.Option(None, help="Comma-separated languages (default: every prepared one)."),
    max_steps: Optional[int] = typer.Option(None, min=1, help="Optimizer updates (overrides train.max_steps)."),
    set_: List[str] = typer.Option([], "--set", help="Override a recipe field: section.key=value (repeatable)."),
    resume: Optional[bool] = typer.Option(None, "--resume/--no-resume",
                                          help="Continue OUT/last/ (default: resume if it exists)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show the progress bar."),
) -> None:
    """Fine-tune an SSHR (or plain CTC) model on prepared manifests."""
    from sshr_cli.config import dump_yaml
    from sshr_cli.train.loop import finetune as run_finetune
    from sshr_cli.train.plan import plan_finetune
    from sshr_cli.workspace import load_workspace

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # no per-load reports or shard bars between our own lines
    hf_logging.disable_progress_bar()
    main_rank = os.environ.get("RANK", "0") == "0"
    ws = load_workspace()
    plan = plan_finetune(ws, config, data, out, model, split_csv(langs), max_steps, tuple(set_), resume, progress)
    if main_rank:
        for note in plan.notes:
            console.print(note, soft_wrap=True)
        console.print(f"[bold]recipe[/] {plan.recipe_path} -> {plan.request.out_dir}\n{dump_yaml(plan.request.recipe)}")
        ws.record_run(plan.request.out_dir)
    result = run_finetune(plan.request, console=console)
    if main_rank and result.best_error is not None:
        console.print(f"best dev {result.metric.upper()} {100 * result.best_error:.2f}% at update "
                      f"{result.best_step}; checkpoint {result.out_dir / 'best'}")


# ---------------------------------------------------------------- decode
@app.command()
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
    out_dir: Optional[Path] = typer.Option(None, help="Folder for transcript files (default with several "
                                                     "inputs: ./transcripts; one file prints to stdout)."),
    manifest: Optional[Path] = typer.Option(None, help="Decode a manifest instead of files."),
    out: Optional[Path] = typer.Option(None, help="Manifest out (default: <manifest>.hyps.jsonl)."),
    max_batch_seconds: Optional[float] = typer.Option(
        None, help=f"Audio seconds per inference batch (default: {DEFAULT_MAX_BATCH_S:g} on a GPU, "
                   f"{DEFAULT_MAX_BATCH_S_CPU:g} on a CPU)."),
    device: str = typer.Option("auto", help="cpu, cuda, cuda:N or auto."),
    precision: str = typer.Option("auto", help="GPU autocast: auto (bf16 where supported), bf16, fp16 or fp32; CPU runs fp32."),
    chunk_seconds: float = typer.Option(DEFAULT_CHUNK_S, help="Long audio is decoded in windows this long (0: never)."),
    stride_seconds: float = typer.Option(DEFAULT_STRIDE_S, help="Context on each side of a window, discarded."),
    lang: Optional[str] = typer.Option(None, help="Expected language, recorded in json output."),
    workers: Optional[int] = typer.Option(None, min=0, help="Beam-search processes (default: all cores for "
                                          "pyctcdecode, 0 = in-process for flashlight)."),
    decoder: str = typer.Option("auto", help="Beam search: auto (flashlight when installed and no hotwords), "
                                "pyctcdecode or flashlight."),
) -> None:
    """Transcribe audio with a checkpoint (greedy, or beam search with a KenLM)."""
    from sshr_cli.decode import BeamOptions, DecodeOptions
    from sshr_cli.decode.beam import check_backend
    from sshr_cli.decode.writers import parse_formats

    formats = parse_formats(format)
    check_backend(decoder)
    beam = None
    if lm is not None or hotwords or nbest > 1:
        beam = BeamOptions(str(lm) if lm else None, alpha, beta, beam_width, tuple(split_csv(hotwords) or ()),
                           hotword_weight, nbest, workers, backend=decoder)
        beam.check()
    options = DecodeOptions(chunk_seconds or None, stride_seconds, max_batch_seconds, beam, precision)
    options.check()
    model_id = _decode_model(model)
    device = _device(device)
    _quiet_transformers()
    if manifest is not None:
        _decode_manifest(model_id, manifest, out, options, device)
    elif not inputs:
        raise ConfigError("give audio files or folders to decode, or --manifest FILE.jsonl")
    elif len(inputs) == 1 and not inputs[0].is_dir() and out_dir is None and len(formats) == 1:
        _decode_one(model_id, inputs[0], formats[0], options, lang, device)
    else:
        _decode_many(model_id, inputs, out_dir or Path("transcripts"), formats, options, lang, device)


def _decode_model(flag: Optional[str]) -> str:
    """--model, else the workspace's latest run; bare `sshr decode file.wav` needs one of them."""
    if flag:
        return flag
    from sshr_cli.workspace import load_workspace

    run = load_workspace().latest_run()
    if run is None:
        raise ConfigError("no --model given and no training run in this folder (sshr finetune records one); "
                          "pass --model CHECKPOINT_OR_HUB_ID")
    console.print(f"model: {run} (latest run)")
    return str(run)


def _device(name: str) -> str:
    from sshr_cli.model.inference import resolve_device

    return resolve_device(name)


def _quiet_transformers() -> None:
    """transformers draws weight-loading bars on stderr; decode prints its own progress."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def _warn(message: str) -> None:
    console.print(f"[yellow]warning:[/] {message}", soft_wrap=True)


def _skip(message: str) -> None:
    console.print(f"[yellow]skipped:[/] {message}", soft_wrap=True)


def _decode_one(model: str, path: Path, fmt: str, options, lang: Optional[str], device: str) -> None:
    from sshr_cli.decode import transcribe
    from sshr_cli.decode.run import decoder_meta
    from sshr_cli.decode.writers import render
    from sshr_cli.hub import load_recognizer

    rec = load_recognizer(model, device=device)
    t = transcribe(rec, [path], options, warn=_warn)[0]
    if t.error:
        raise DataError(t.error)
    if not t.text:
        _warn(f"{path}: empty transcript: the model emitted only blanks (undertrained, or no speech)")
    sys.stdout.write(render(t, fmt, decoder_meta(rec, options, lang)))


@contextmanager
def _progress_bar(label: str, total: float):
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (TextColumn("{task.description}"), BarColumn(),
               TextColumn("{task.completed:.0f}/{task.total:.0f} s audio"), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda seconds: bar.advance(task, seconds)


def _audio_seconds(paths) -> float:
    from sshr_cli.audio import audio_info

    total = 0.0
    for p in paths:
        try:
            total += audio_info(p).duration_s
        except SshrError:
            pass  # reported as a skip when it is decoded
    return total


def _decode_many(model: str, inputs: List[Path], out_dir: Path, formats, options, lang, device: str) -> None:
    from sshr_cli.decode.run import decode_paths, find_audio

    found, _ = find_audio(inputs)
    with _progress_bar("decoding", _audio_seconds(p for p, _ in found)) as advance:
        report = decode_paths(model, inputs, out_dir, formats, options, lang, advance, _warn, _skip, device)
    _decode_summary(report, f"{', '.join(formats)} in {out_dir}")


def _decode_manifest(model: str, manifest: Path, out: Optional[Path], options, device: str) -> None:
    from sshr_cli.data.manifest import load_manifest
    from sshr_cli.decode.run import decode_manifest

    out = out or manifest.with_name(f"{manifest.stem}.hyps.jsonl")
    total = sum(float(r.get("duration", 0.0)) for r in load_manifest(manifest))
    with _progress_bar("decoding", total) as advance:
        report = decode_manifest(model, manifest, out, options, advance, _warn, _skip, device)
    _decode_summary(report, str(out))


def _decode_summary(report, where: str) -> None:
    if report.done == 0:
        raise DataError(f"nothing decoded: {len(report.skipped)} input(s) skipped (see above)")
    skipped = f", skipped {len(report.skipped)}" if report.skipped else ""
    console.print(f"decoded {report.done} file(s){skipped} -> {where}")


# ---------------------------------------------------------------- lm
@lm_app.command("build")
@cli_errors
def lm_build(
    texts: Optional[List[Path]] = typer.Argument(None, help="Manifests (.jsonl) or text files, one sentence a line."),
    text: Optional[List[Path]] = typer.Option(None, "--text", help="Same as the arguments (repeatable)."),
    order: int = typer.Option(3, help="n-gram order (1-6)."),
    out: Optional[Path] = typer.Option(None, help="ARPA file to write (default: <data>/lm.arpa)."),
    field: str = typer.Option("text", help="Manifest field: text (words) or units (phoneme words, for phoneme models)."),
    prune: Optional[float] = typer.Option(None, help="Relative-entropy pruning threshold, e.g. 1e-7."),
    lang: Optional[str] = typer.Option(None, help="Normalisation rules for plain-text input."),
    data: Optional[Path] = typer.Option(None, help="Prepared data folder (default: the workspace's)."),
) -> None:
    """Build an ARPA n-gram LM (Kneser-Ney) from manifests or text."""
    from sshr_cli.lm import LMOptions, build_lm

    sources = list(texts or []) + list(text or [])
    data_dir = None
    if not sources or out is None:
        from sshr_cli.workspace import load_workspace

        data_dir = load_workspace().data_dir(data)
    if not sources:
        sources = sorted(data_dir.glob("*/train.jsonl"))
        if not sources:
            raise DataError(f"no text given and no {data_dir}/*/train.jsonl; pass --text FILE (manifest or text)")
    out = out or data_dir / "lm.arpa"
    report = build_lm(sources, out, LMOptions(order, field, prune, lang))
    counts = ", ".join(f"{n}-grams {c}" for n, c in sorted(report.ngrams.items()))
    console.print(f"wrote {out}: {report.sentences} sentences, {report.words} words, "
                  f"{report.vocab} word types; {counts}", soft_wrap=True)
    for note in report.notes:
        console.print(note, soft_wrap=True)


# ---------------------------------------------------------------- score
@app.command()
@cli_errors
def score(
    hyp: Path = typer.Option(..., "--hyp", help="Hypotheses: decode manifest (pred_text/pred_units) or Kaldi `id text`."),
    ref: Optional[Path] = typer.Option(None, "--ref", help="References: manifest (text/units) or Kaldi `id text`. "
                                       "Optional when --hyp is a decode manifest that carries text too."),
    unit: str = typer.Option("auto", help="word (WER), char (CER), phone (PER), or auto: phone for phoneme "
                             "manifests, else word."),
    by_lang: bool = typer.Option(True, "--by-lang/--no-by-lang", help="Per-language rows in the table."),
    out_dir: Optional[Path] = typer.Option(None, help="Report folder (default: score_<split>/ beside --hyp)."),
    json_out: bool = typer.Option(False, "--json", help="Print summary.json on stdout."),
    normalize: bool = typer.Option(True, "--normalize/--no-normalize",
                                   help="Apply prepare's per-language normalisation to both sides."),
    lang: Optional[str] = typer.Option(None, help="Language for lines that carry none (Kaldi files)."),
    split: Optional[str] = typer.Option(None, help="Split name for summary.json (default: from the reference file name)."),
    dataset: Optional[str] = typer.Option(None, help="Dataset name for summary.json (default: prepare_report.json source)."),
) -> None:
    """WER/CER/PER per language and per utterance, with sclite-style reports."""
    import json

    from sshr_cli.score import score_files, write_reports
    from sshr_cli.score.reports import default_out_dir, print_report

    result, why = score_files(hyp, ref, unit, normalize, lang=lang, split=split, dataset=dataset)
    print_report(result, console, why, by_lang)
    folder = out_dir or default_out_dir(hyp, result.split)
    write_reports(result, folder)
    console.print(f"wrote summary.json, errs.txt, recogs.txt, per_utt.jsonl to {folder}", markup=False)
    if json_out:
        out.print(json.dumps(result.summary(), ensure_ascii=False, indent=2), markup=False, soft_wrap=True)


# ---------------------------------------------------------------- push
@app.command()
@cli_errors
def push(
    run: Optional[Path] = typer.Argument(None, help="Run folder (exp/NAME) or checkpoint folder "
                                                    "(default: the workspace's latest run)."),
    repo: Optional[str] = typer.Option(None, "--repo", help="ORG/NAME (default: <your-hf-username>/<run-name>)."),
    private: bool = typer.Option(False, "--private",
                                 help="Create the repo as private (an existing repo keeps its visibility)."),
    revision: str = typer.Option("main", "--revision", help="Branch to commit to (created if missing)."),
    commit_message: Optional[str] = typer.Option(None, "--commit-message", help="Commit summary."),
    license: Optional[str] = typer.Option(None, "--license", help="Card license (default: the encoder's, e.g. "
                                                                  "cc-by-nc-4.0 for facebook/mms-*)."),
    datasets: Optional[str] = typer.Option(None, "--datasets", help="Comma-separated Hub dataset ids for the card."),
    dry_run: bool = typer.Option(False, "--dry-run", help="List the files and print the card; no token, no network."),
) -> None:
    """Upload a run's best checkpoint with a model card to the Hugging Face Hub (token: HF_TOKEN or `hf auth login`)."""
    from sshr_cli import hub
    from sshr_cli.errors import ConfigError
    from sshr_cli.workspace import load_workspace

    if run is None:
        run = load_workspace().latest_run()
        if run is None:
            raise ConfigError("no training run recorded in this folder; pass one: sshr push exp/NAME")
        console.print(f"pushing the latest run: {run}", markup=False)
    extra = dict(license=license, datasets=tuple(split_csv(datasets) or ()))
    if dry_run:
        plan = hub.plan_push(run, repo, **extra)
        out.print(f"would push to {plan.repo_id} (dry run: no token used, nothing sent), "
                  f"from {plan.checkpoint_dir}:", soft_wrap=True, markup=False)
        for f in plan.files:
            out.print(f"  {f.name}  {f.stat().st_size:,} bytes", soft_wrap=True, markup=False)
        out.print(f"  {hub.CARD_FILE}  {len(plan.card.encode()):,} bytes  (the model card, below)\n", soft_wrap=True)
        out.print(plan.card, markup=False, soft_wrap=True)
        return
    result = hub.push(run, repo, private=private, revision=revision, commit_message=commit_message, **extra)
    console.print(f"pushed {len(result.files)} files to {result.repo_id}: {result.commit_url}", soft_wrap=True,
                  markup=False)


# ---------------------------------------------------------------- analyze
from sshr_cli.analyze import config as analyze_defaults  # noqa: E402  (plain constants; no torch)


@app.command()
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
                                              "frames (default: uniform segmentation of the speech region)."),
    batch_s: float = typer.Option(analyze_defaults.DEFAULT_ANALYZE_BATCH_S, help="Seconds of audio per forward pass."),
    device: str = typer.Option("auto", help="auto | cpu | cuda | cuda:N."),
    seed: int = typer.Option(0, help="Utterance sampling, speaker split and frame sampling."),
) -> None:
    """Per-layer language and content probes, to choose the SSHR layers."""
    from rich.progress import Progress

    from sshr_cli.analyze import AnalyzeConfig, run_analysis
    from sshr_cli.workspace import load_workspace

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our own bar below; transformers' weight-loading bars are noise here
    ws = load_workspace()
    config = AnalyzeConfig(model=ws.model(model), data_dir=ws.data_dir(data), langs=tuple(split_csv(langs) or ()),
                           out_dir=out_dir, max_utts=max_utts, max_frames=max_frames, align_model=align_model,
                           batch_s=batch_s, device=device, seed=seed)
    with Progress(console=console, transient=True) as bar:
        def task(description: str, total: int):
            tid = bar.add_task(description, total=total)
            return lambda n: bar.advance(tid, n)

        result = run_analysis(config, progress=task)
    _print_analysis(result)


def _print_analysis(result) -> None:
    report, rec = result.report, result.recommendation
    lang, content = report["language"], report["content"]
    console.print(f"language probe: {lang['train_utts']} train / {lang['test_utts']} test utterances "
                  f"(speaker-disjoint), chance {lang['chance']:.2f}")
    console.print(f"content probe ({content['method']}): {content['train_frames']} train / {content['test_frames']} "
                  f"test frames, {content['classes']} classes, chance {content['chance']:.2f}")
    for row in report["layers"]:
        console.print(f"  layer {row['layer']:>2}  language {row['language']['accuracy']:.3f}  "
                      f"content {row['content']['accuracy']:.3f}")
    if report["skipped"]:
        console.print(f"[yellow]skipped {len(report['skipped'])} utterance(s)[/]; see {result.paths['json']}")
    for note in rec.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(f"wrote {result.paths['json']}, {result.paths['png']}, {result.paths['yaml']}")
    out.print(f"lid_layer: {rec.lid_layer}\nnum_layers: {rec.num_layers}\n"
              f"cross_ctc_layers: {list(rec.cross_ctc_layers)}\nsshr finetune {rec.set_flags()}",
              soft_wrap=True, markup=False, highlight=False)


# ---------------------------------------------------------------- demo
from sshr_cli import demo as demo_defaults  # noqa: E402  (constants; imports nothing heavy)


@app.command()
@cli_errors
def demo(
    langs: str = typer.Option(",".join(demo_defaults.DEMO_LANGS), help="Comma-separated languages of the generated corpus."),
    out: Path = typer.Option(Path("demo"), "--out", help="Working folder (re-runs reuse finished work)."),
    budget_minutes: float = typer.Option(demo_defaults.DEMO_BUDGET_MIN, help="Time budget in minutes; the final table compares against it."),
    clips: int = typer.Option(demo_defaults.DEMO_CLIPS_PER_LANG, min=10, help="Clips per language in the generated release."),
    max_steps: Optional[int] = typer.Option(None, min=1, help="Training updates per model (default: the tiny recipe's)."),
    chars: bool = typer.Option(True, "--chars/--no-chars", help="Also run the grapheme variant with an n-gram LM."),
) -> None:
    """Run the whole pipeline on a generated corpus (CPU, no network), as the commands you would type."""
    from sshr_cli.demo import DemoOptions, run_demo

    opts = DemoOptions(out, tuple(split_csv(langs) or ()), budget_minutes, clips, max_steps=max_steps,
                       with_chars=chars)
    console.print("[bold]sshr demo[/]: a tiny encoder (random transformer, fixed filterbank front end) trained on generated speech, on "
                  "this CPU. It shows the tool end to end; real use starts from facebook/mms-300m on a GPU.")
    result = run_demo(opts, echo=console.print)
    _print_demo_summary(result, opts)


def _print_demo_summary(result, opts) -> None:
    from rich.table import Table

    from sshr_cli.demo import demo_rows

    table = Table(title=f"sshr demo in {result.out_dir}/ ({result.seconds / 60:.1f} of {opts.budget_minutes:g} min)")
    for name in ("model", "test set", "metric", "error", "trivial baseline"):
        table.add_column(name)
    for row in demo_rows(result):
        table.add_row(*row)
    console.print(table)
    for note in _demo_notes(result):
        console.print(note, soft_wrap=True, markup=False)


def _demo_notes(result) -> list[str]:
    from sshr_cli.demo import demo_notes

    return demo_notes(result)


# ---------------------------------------------------------------- status
@app.command()
@cli_errors
def status() -> None:
    """Show the workspace: corpora, prepared data, runs with their best dev error, and what push would do."""
    from sshr_cli.status import render, workspace_status
    from sshr_cli.workspace import load_workspace

    render(workspace_status(load_workspace()), out)


def main() -> None:
    app()
