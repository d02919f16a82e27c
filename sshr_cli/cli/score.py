"""`sshr score`: WER/CER/PER of a decode against its references, with sclite-style reports."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sshr_cli.cli._app import cli_errors, console, examples, out

EXAMPLES = examples(
    "sshr score --ref data/en/test.jsonl --hyp data/en/test.hyps.jsonl",
    "sshr score --hyp data/en/test.hyps.jsonl --unit char -o exp/run/score_char",
    "sshr score --ref data/de/test.jsonl --hyp data/de/test.hyps.jsonl --sclite")


@cli_errors
def score(
    hyp: Path = typer.Option(..., "--hyp", help="Hypotheses: decode manifest (pred_text/pred_units) or Kaldi `id text`."),
    ref: Optional[Path] = typer.Option(None, "--ref", help="References: manifest (text/units) or Kaldi `id text`. "
                                       "Optional when --hyp is a decode manifest that carries text too."),
    unit: str = typer.Option("auto", help="word (WER), char (CER), phone (PER), or auto: phone for phoneme "
                             "manifests, else word."),
    by_lang: bool = typer.Option(True, "--by-lang/--no-by-lang", help="Per-language rows in the table."),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", "-o", help="Report folder (default: score_<split>/ beside --hyp)."),
    json_out: bool = typer.Option(False, "--json", help="Print summary.json on stdout."),
    normalize: bool = typer.Option(True, "--normalize/--no-normalize",
                                   help="Apply prepare's per-language normalisation to both sides."),
    lang: Optional[str] = typer.Option(None, help="Language for lines that carry none (Kaldi files)."),
    split: Optional[str] = typer.Option(None, help="Split name for summary.json (default: from the reference file name)."),
    dataset: Optional[str] = typer.Option(None, help="Dataset name for summary.json (default: the prepared "
                                          "corpus release, e.g. cv-corpus-17.0-2024-03-15, else its source)."),
    sclite: bool = typer.Option(False, "--sclite", help="Also write ref.trn/hyp.trn and, where sclite (Debian: "
                                "sctk) is installed, run it and show its counts beside ours."),
) -> None:
    """WER/CER/PER per language and per utterance, with sclite-style reports."""
    from sshr_cli.io import dumps

    from sshr_cli.score import score_files, write_reports
    from sshr_cli.score.reports import default_out_dir, print_report

    result, why = score_files(hyp, ref, unit=unit, normalize=normalize, lang=lang, split=split, dataset=dataset)
    print_report(result, console, why, by_lang)
    folder = out_dir or default_out_dir(hyp, result.split)
    write_reports(result, folder)
    console.print(f"wrote summary.json, errs.txt, recogs.txt, per_utt.jsonl to {folder}", markup=False)
    if sclite:
        _sclite(result, folder)
    if json_out:
        out.print(dumps(result.summary(), indent=2), markup=False, soft_wrap=True)


def _sclite(result, folder: Path) -> None:
    from sshr_cli.score.sclite import comparison_table, run_sclite

    run = run_sclite(result, folder)
    console.print(f"wrote {run.ref_trn.name}, {run.hyp_trn.name} to {folder}", markup=False)
    if run.totals is not None:
        console.print(comparison_table(result.totals, run.totals))
    console.print(run.note, markup=False, soft_wrap=True)
