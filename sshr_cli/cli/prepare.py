"""`sshr prepare ...`: a corpus -> JSONL manifests, vocab.json and a report, one command per layout."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sshr_cli.cli._app import cli_errors, console, examples, split_csv
from sshr_cli.cli._progress import progress_option, stage_bars

prepare_app = typer.Typer(help="Corpus -> JSONL manifests, vocab.json and a report.", no_args_is_help=True)


def _options(out_dir: Path, units: str, jobs: Optional[int], resample_to_flac: bool, **limits):
    from sshr_cli.data.prepare import DEFAULT_JOBS, PrepareOptions

    return PrepareOptions(out_dir=out_dir, units=units, jobs=jobs or DEFAULT_JOBS,
                          resample_to_flac=resample_to_flac, **limits)


def _prepare(source, options, show_progress: bool = True) -> None:
    """The shared tail: progress bars, one library call, the table and the summary."""
    from sshr_cli.data.prepare import prepare
    from sshr_cli.data.report import print_report

    with stage_bars(show_progress) as progress:
        result = prepare(source, options, progress)
    print_report(result, console)


@prepare_app.command("commonvoice", epilog=examples(
    "sshr prepare commonvoice --langs en,de",
    "sshr prepare commonvoice ~/data/cv-corpus-17.0-2024-03-15 --langs fr --units chars --out data_chars",
    "sshr prepare commonvoice --langs de --splits dev,test --no-progress"))
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
    progress: bool = progress_option(),
) -> None:
    """Common Voice release -> manifests, vocab and report."""
    from sshr_cli.data.commonvoice import commonvoice_source
    from sshr_cli.errors import ConfigError
    from sshr_cli.workspace import load_workspace

    if corpus_dir is not None and corpus is not None and corpus_dir.resolve() != corpus.resolve():
        raise ConfigError(f"two corpora given ({corpus_dir} and --corpus {corpus}); pass one")
    ws = load_workspace()
    root, how = ws.commonvoice_dir(corpus_dir or corpus)
    if how != "flag":
        console.print(f"corpus: {root} ({how})", soft_wrap=True)
    source = commonvoice_source(root, langs=split_csv(langs), splits=split_csv(splits) or [])
    _prepare(source, _options(ws.data_dir(out), units, jobs, resample_to_flac), progress)


@prepare_app.command("mlsuperb", epilog=examples(
    "sshr prepare mlsuperb ~/data/ml_superb/eighth_version --langs eng,deu",
    "sshr prepare mlsuperb ~/data/ml_superb/eighth_version --setting 1h --no-few-shot --out data_1h"))
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
    progress: bool = progress_option(),
) -> None:
    """ML-SUPERB (ESPnet egs2/ml_superb layout) -> manifests, vocab and report."""
    from sshr_cli.data.mlsuperb import MIN_TRAIN_S, mlsuperb_source
    from sshr_cli.workspace import load_workspace

    source = mlsuperb_source(corpus_dir, langs=split_csv(langs), setting=setting, few_shot=few_shot)
    out_dir = load_workspace().data_dir(out)
    _prepare(source, _options(out_dir, units, jobs, resample_to_flac, min_train_s=MIN_TRAIN_S), progress)


@prepare_app.command("folder", epilog=examples(
    "sshr prepare folder recordings/ --lang de",
    "sshr prepare folder interviews/ --lang en --split test --units phonemes --out data_interviews"))
@cli_errors
def prepare_folder(
    dir: Path = typer.Argument(..., help="Audio files with a <stem>.txt each, or a transcripts TSV."),
    lang: str = typer.Option("und", help="Language code of the whole folder (needed for phonemes)."),
    split: str = typer.Option("train", help="Split for files not under train/, dev/ or test/ subfolders."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: the workspace's data/)."),
    units: str = typer.Option("chars", help="Targets: chars or phonemes."),
    jobs: Optional[int] = typer.Option(None, min=1, help="Parallel workers (default: all cores)."),
    resample_to_flac: bool = typer.Option(False, "--resample-to-flac", help="Also write 16 kHz FLAC copies."),
    progress: bool = progress_option(),
) -> None:
    """A plain folder of audio + transcripts -> manifests, vocab and report."""
    from sshr_cli.data.folder import folder_source
    from sshr_cli.workspace import load_workspace

    source = folder_source(dir, lang=lang, split=split)
    _prepare(source, _options(load_workspace().data_dir(out), units, jobs, resample_to_flac), progress)
