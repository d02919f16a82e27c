"""The `sshr` command line: thin Typer commands over library functions.

Each command parses flags, builds a config, makes one library call and turns typed errors
into one line on stderr plus a non-zero exit code. Heavy imports happen inside commands, so
`sshr --help` stays fast.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from sshr_cli import __version__
from sshr_cli.errors import NotBuiltError, SshrError

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
def finetune() -> None:
    """Fine-tune an SSHR (or plain CTC) model on prepared manifests."""
    not_built("finetune", "issue 5")


# ---------------------------------------------------------------- decode
@app.command()
@cli_errors
def decode(inputs: Optional[List[Path]] = typer.Argument(None, help="Audio files or folders.")) -> None:
    """Transcribe audio with a checkpoint (greedy, or beam search with a KenLM)."""
    not_built("decode", "issue 6")


# ---------------------------------------------------------------- lm
@lm_app.command("build")
@cli_errors
def lm_build() -> None:
    """Build an ARPA n-gram LM (modified Kneser-Ney) from manifests or text."""
    not_built("lm build", "issue 6")


# ---------------------------------------------------------------- score
@app.command()
@cli_errors
def score() -> None:
    """WER/CER/PER per language and per utterance, with sclite-style reports."""
    not_built("score", "issue 7")


# ---------------------------------------------------------------- push
@app.command()
@cli_errors
def push() -> None:
    """Upload a checkpoint with a model card to the Hugging Face Hub."""
    not_built("push", "issue 8")


# ---------------------------------------------------------------- analyze
@app.command()
@cli_errors
def analyze() -> None:
    """Per-layer language and content probes, to choose the SSHR layers."""
    not_built("analyze", "issue 10")


# ---------------------------------------------------------------- demo
@app.command()
@cli_errors
def demo() -> None:
    """Run the whole pipeline on a generated corpus (CPU, no network)."""
    not_built("demo", "issue 9")


# ---------------------------------------------------------------- status
@app.command()
@cli_errors
def status() -> None:
    """Show the workspace: corpora, prepared data, runs and defaults."""
    not_built("status", "issue 11")


def main() -> None:
    app()
