"""`sshr lm ...`: n-gram language models for beam decoding."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from sshr_cli.cli._app import cli_errors, console, examples

lm_app = typer.Typer(help="n-gram language models for beam decoding.", no_args_is_help=True)


@lm_app.command("build", epilog=examples(
    "sshr lm build",
    "sshr lm build data/en/train.jsonl --order 4 --out lm/en.arpa",
    "sshr lm build corpus.txt --lang de --prune 1e-7 --out lm/de.arpa"))
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
    from sshr_cli.lm import LMOptions, build_lm, lm_inputs

    given = [*(texts or []), *(text or [])]
    data_dir = None
    if not given or out is None:  # the workspace is read only when a default is needed
        from sshr_cli.workspace import load_workspace

        data_dir = load_workspace().data_dir(data)
    sources, out = lm_inputs(given, out, data_dir)
    report = build_lm(sources, out, LMOptions(order=order, field=field, prune=prune, lang=lang))
    counts = ", ".join(f"{n}-grams {c}" for n, c in sorted(report.ngrams.items()))
    console.print(f"wrote {out}: {report.sentences} sentences, {report.words} words, "
                  f"{report.vocab} word types; {counts}", soft_wrap=True)
    for note in report.notes:
        console.print(note, soft_wrap=True)
