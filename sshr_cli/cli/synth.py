"""`sshr synth ...`: generated stand-ins for a downloaded corpus and a pretrained encoder."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sshr_cli.cli._app import cli_errors, console, examples, split_csv
from sshr_cli.cli._progress import progress_option, task_bars

synth_app = typer.Typer(help="Generate test corpora (espeak-ng speech in real corpus layouts).",
                        no_args_is_help=True)


@synth_app.command("commonvoice", epilog=examples(
    "sshr synth commonvoice demo_corpus --langs en,de --clips 20",
    "sshr synth commonvoice . --langs fr --clips 100 --seed 3 --no-progress"))
@cli_errors
def synth_commonvoice(
    out_dir: Path = typer.Argument(..., help="Folder to write cv-corpus-<version>/ into."),
    langs: str = typer.Option("en,de,fr,es,it,nl,pl,sv", help="Comma-separated languages."),
    clips: int = typer.Option(50, min=3, help="Clips per language in train+dev+test."),
    seed: int = typer.Option(0, help="The corpus is a pure function of the seed."),
    version: str = typer.Option("0.1-synthetic", help="Release name: cv-corpus-<version>."),
    jobs: Optional[int] = typer.Option(None, min=1, help="Worker processes (default: all cores)."),
    progress: bool = progress_option(),
) -> None:
    """Write a corpus laid out exactly like a Common Voice release, spoken by espeak-ng."""
    from sshr_cli.data.synthetic import DEFAULT_SPEAKERS_PER_LANG, generate_commonvoice, plan_language

    lang_list = split_csv(langs) or []
    total = sum(len(plan_language(lang, clips, DEFAULT_SPEAKERS_PER_LANG, seed)) for lang in lang_list)
    with task_bars(progress) as task:
        advance = task("speaking", total)
        root_dir = generate_commonvoice(out_dir, lang_list, clips_per_lang=clips, seed=seed, version=version,
                                        jobs=jobs, progress=lambda: advance(1))
    console.print(f"wrote {total} clips in {len(lang_list)} languages to {root_dir}")


@synth_app.command("spellings", epilog=examples(
    "sshr synth spellings spell_corpus",
    "sshr synth spellings spell_corpus --clips 200 --seed 1",
    "sshr synth spellings spell_corpus --cue tone"))
@cli_errors
def synth_spellings(
    out_dir: Path = typer.Argument(..., help="Folder to write cv-corpus-<version>/ into."),
    clips: int = typer.Option(100, min=3, help="Clips per language (xa, xb) in train+dev+test."),
    seed: int = typer.Option(0, help="The corpus is a pure function of the seed."),
    version: str = typer.Option("0.1-spellings", help="Release name: cv-corpus-<version>."),
    jobs: Optional[int] = typer.Option(None, min=1, help="Worker processes (default: all cores)."),
    cue: str = typer.Option("variant", help="What tells xa from xb: 'variant' (male/female voices, audible in "
                                            "every frame) or 'tone' (a tone before the speech, 500 Hz/1 kHz)."),
) -> None:
    """Two spellings of the same English speech (xa, xb), told apart only by a cue (--cue): a task
    where the utterance's language must decide the transcript (sshr_cli.data.spellings)."""
    from sshr_cli.data.spellings import DEFAULT_SPEAKERS_PER_LANG, generate_spellings, plan_spellings

    total = sum(map(len, plan_spellings(clips, DEFAULT_SPEAKERS_PER_LANG, seed, cue).values()))
    with task_bars() as task:
        advance = task("speaking", total)
        root_dir = generate_spellings(out_dir, clips_per_lang=clips, seed=seed, version=version, jobs=jobs,
                                      progress=lambda: advance(1), cue=cue)
    console.print(f"wrote {total} clips (xa, xb) to {root_dir}")


@synth_app.command("encoder", epilog=examples(
    "sshr synth encoder tiny_encoder",
    "sshr synth encoder tiny_encoder --layers 2 --hidden 32 --front-end random"))
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
