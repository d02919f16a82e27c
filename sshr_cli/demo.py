"""`sshr demo`: the whole pipeline on a generated corpus, as the bare commands a user types.

The demo makes a working folder, places a generated Common Voice release in it, then runs
the real subcommands there, each in its own process and printed as `$ sshr ...` so that the
screen shows exactly what a user will type:

    sshr synth commonvoice . --langs en,de,fr,es        # stands in for a downloaded release
    sshr synth encoder tiny_encoder                      # stands in for facebook/mms-300m
    sshr prepare commonvoice --langs en,de,fr,es
    sshr finetune --model tiny_encoder --config recipes/synthetic/tiny.yaml
    sshr decode <a few test clips>
    sshr decode --manifest test.jsonl ; sshr score ...
    sshr push --dry-run
    (grapheme variant) prepare --units chars, finetune, lm build, decode --lm, score

The encoder is tiny and randomly initialised: the demo shows the tool working end to end on
a laptop CPU, not a useful recogniser. Real use starts from facebook/mms-300m on a GPU.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sshr_cli.constants import PROGRESS_ENV, RECIPES_DIR
from sshr_cli.errors import ConfigError, DataError, SshrError
from sshr_cli.io import read_jsonl, write_text
from sshr_cli.runs import read_json

DEMO_LANGS = ("en", "de", "fr", "es")
DEMO_CLIPS_PER_LANG = 100  # train+dev+test clips per language in the generated release
DEMO_BUDGET_MIN = 8.0  # wall-clock minutes on a 2-core laptop
DEMO_SEED = 0
PHONEME_TRAIN_SHARE = 0.35  # of the budget: the most the phoneme finetune may take (train.max_minutes)
CHARS_TRAIN_SHARE = 0.30  # the grapheme finetune's cap; the rest is synthesis, decoding, scoring, the LM
LEARNED_BELOW = 0.90  # test error at or below this counts as clearly beating the empty transcript (1.0)
DEMO_DECODE_EXAMPLES = 2  # test clips per language shown with transcript and language
TINY_RECIPE = RECIPES_DIR / "synthetic" / "tiny.yaml"
PHONEME_RUN = "exp/demo_phonemes"
CHARS_RUN = "exp/demo_chars"
CHARS_DATA = "data_chars"
INTRO = ("[bold]sshr demo[/]: a tiny encoder (random transformer, fixed filterbank front end) trained on generated "
         "speech, on this CPU. It shows the tool end to end; real use starts from facebook/mms-300m on a GPU.")


@dataclass(frozen=True)
class DemoOptions:
    out_dir: Path = Path("demo")
    langs: tuple[str, ...] = DEMO_LANGS
    budget_minutes: float = DEMO_BUDGET_MIN
    clips_per_lang: int = DEMO_CLIPS_PER_LANG
    seed: int = DEMO_SEED
    max_steps: int | None = None  # None: the tiny recipe's own
    with_chars: bool = True  # the grapheme variant with an n-gram LM
    progress: bool = True  # progress bars in the commands it runs (False: SSHR_PROGRESS=0 for each)

    def check(self) -> None:
        if not self.langs:
            raise ConfigError("--langs is empty; give e.g. --langs en,de")
        if self.budget_minutes <= 0:
            raise ConfigError(f"--budget-minutes must be > 0, got {self.budget_minutes}")
        if not TINY_RECIPE.is_file():
            raise ConfigError(f"the tiny recipe {TINY_RECIPE} is missing; run the demo from a source checkout")


@dataclass
class StageResult:
    title: str
    command: str
    seconds: float


@dataclass
class DemoResult:
    out_dir: Path
    stages: list[StageResult] = field(default_factory=list)
    phoneme_summary: dict | None = None
    chars_summary: dict | None = None
    chars_lm_summary: dict | None = None
    examples: list[dict] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.stages)


class Runner:
    """Runs `sshr ...` in the demo folder as a child process, echoing the command line."""

    def __init__(self, cwd: Path, echo: Callable[[str], None], capture: bool, progress: bool = True):
        self.cwd, self.echo, self.capture, self.progress = cwd, echo, capture, progress
        self.stages: list[StageResult] = []

    def __call__(self, title: str, *args: str) -> str:
        line = "sshr " + " ".join(shlex.quote(a) for a in args)
        self.echo(f"\n[bold cyan]== {title}[/]\n$ {line}")
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "sshr_cli", *args], cwd=self.cwd, text=True,
                              capture_output=self.capture, env=_child_env(self.progress))
        self.stages.append(StageResult(title, line, time.perf_counter() - start))
        if proc.returncode != 0:
            tail = (proc.stderr or "").strip().splitlines()[-1:] if self.capture else []
            raise SshrError(f"demo stage '{title}' failed (exit {proc.returncode}): `{line}`"
                            + (f": {tail[0]}" if tail else ""))
        return proc.stdout or ""


def _child_env(progress: bool = True) -> dict:
    env = dict(os.environ)
    if not progress:
        env[PROGRESS_ENV] = "0"
    env.setdefault("HF_HUB_OFFLINE", "1")  # the demo never needs the network
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def _combine_test_manifests(data_dir: Path, langs: tuple[str, ...], out: Path) -> Path:
    """One test manifest over every language, so that one decode and one score cover them."""
    lines = []
    for lang in langs:
        lines += (data_dir / lang / "test.jsonl").read_text(encoding="utf-8").splitlines()
    write_text(out, "\n".join(lines) + "\n")
    return out


def _examples(data_dir: Path, langs: tuple[str, ...]) -> list[dict]:
    rows = []
    for lang in langs:
        lines = (data_dir / lang / "test.jsonl").read_text(encoding="utf-8").splitlines()
        rows += [json.loads(x) for x in lines[:DEMO_DECODE_EXAMPLES]]
    return rows


def _steps_args(opts: DemoOptions, share: float) -> list[str]:
    """--max-steps when given, and a wall-clock cap of `share` of the budget (train.max_minutes)."""
    steps = ["--max-steps", str(opts.max_steps)] if opts.max_steps else []
    return [*steps, "--set", f"train.max_minutes={max(opts.budget_minutes * share, 0.01):.2f}"]


def run_phoneme_pipeline(run: Runner, opts: DemoOptions, result: DemoResult) -> None:
    cwd, langs = run.cwd, ",".join(opts.langs)
    run("generate a Common Voice release (espeak-ng)", "synth", "commonvoice", ".", "--langs", langs,
        "--clips", str(opts.clips_per_lang), "--seed", str(opts.seed))
    run("build a tiny wav2vec2 encoder (HF format; random transformer, filterbank front end)", "synth", "encoder", "tiny_encoder",
        "--seed", str(opts.seed))
    run("prepare: manifests, phonemes, vocab", "prepare", "commonvoice", "--langs", langs)
    run("finetune SSHR", "finetune", "--model", "tiny_encoder", "--config", str(TINY_RECIPE),
        "--out", PHONEME_RUN, *_steps_args(opts, PHONEME_TRAIN_SHARE))
    result.examples = _examples(cwd / "data", opts.langs)
    clips = [r["audio_filepath"] for r in result.examples]
    run("decode a few test clips (latest run)", "decode", *clips, "--format", "json,txt", "--out-dir", "transcripts")
    _combine_test_manifests(cwd / "data", opts.langs, cwd / "test.jsonl")
    run("decode the test set", "decode", "--manifest", "test.jsonl", "--out", f"{PHONEME_RUN}/test.hyps.jsonl")
    run("score per language", "score", "--ref", "test.jsonl", "--hyp", f"{PHONEME_RUN}/test.hyps.jsonl",
        "--out-dir", f"{PHONEME_RUN}/score_test")
    result.phoneme_summary = read_json(cwd / PHONEME_RUN / "score_test" / "summary.json", DataError)
    run("what push would upload (no network)", "push", "--dry-run")


def run_chars_pipeline(run: Runner, opts: DemoOptions, result: DemoResult) -> None:
    cwd, langs = run.cwd, ",".join(opts.langs)
    run("prepare the grapheme variant", "prepare", "commonvoice", "--langs", langs, "--units", "chars",
        "--out", CHARS_DATA)
    run("finetune SSHR on characters", "finetune", "--model", "tiny_encoder", "--config", str(TINY_RECIPE),
        "--data", CHARS_DATA, "--out", CHARS_RUN, *_steps_args(opts, CHARS_TRAIN_SHARE))
    _combine_test_manifests(cwd / CHARS_DATA, opts.langs, cwd / "test_chars.jsonl")
    run("build a 3-gram LM on the training text", "lm", "build", "--data", CHARS_DATA, "--order", "3",
        "--out", f"{CHARS_DATA}/lm.arpa")
    for tag, extra in (("greedy", []), ("lm", ["--lm", f"{CHARS_DATA}/lm.arpa"])):
        run(f"decode characters ({tag})", "decode", "--model", CHARS_RUN, "--manifest", "test_chars.jsonl",
            "--out", f"{CHARS_RUN}/test.{tag}.jsonl", *extra)
        run(f"score characters ({tag})", "score", "--ref", "test_chars.jsonl", "--hyp",
            f"{CHARS_RUN}/test.{tag}.jsonl", "--unit", "char", "--out-dir", f"{CHARS_RUN}/score_{tag}")
    result.chars_summary = read_json(cwd / CHARS_RUN / "score_greedy" / "summary.json", DataError)
    result.chars_lm_summary = read_json(cwd / CHARS_RUN / "score_lm" / "summary.json", DataError)


def open_workdir(opts: DemoOptions) -> None:
    """Check the options and create the working folder: what can fail before anything is printed."""
    opts.check()
    opts.out_dir.mkdir(parents=True, exist_ok=True)


def run_demo(opts: DemoOptions, echo: Callable[[str], None] = print, capture: bool = False) -> DemoResult:
    """Run every stage in `opts.out_dir` (created if needed; re-runs reuse finished work)."""
    open_workdir(opts)
    result = DemoResult(opts.out_dir)
    run = Runner(opts.out_dir.resolve(), echo, capture, opts.progress)
    try:
        run_phoneme_pipeline(run, opts, result)
        if opts.with_chars:
            run_chars_pipeline(run, opts, result)
    finally:
        result.stages = run.stages
    return result


def _rate(summary: dict | None, lang: str | None = None) -> str:
    if not summary:
        return "-"
    counts = summary["by_lang"].get(lang) if lang else summary["totals"]
    rate = counts.get("error_rate") if counts else None
    return "-" if rate is None else f"{100 * rate:.1f}%"


def demo_rows(result: DemoResult) -> list[tuple[str, str, str, str, str]]:
    """(model, test set, metric, error, trivial baseline) rows for the final table.

    The trivial baseline is an empty transcript: every reference unit deleted, 100% error.
    """
    rows = []
    for name, summary in (("SSHR, phonemes (greedy)", result.phoneme_summary),
                          ("SSHR, characters (greedy)", result.chars_summary),
                          ("SSHR, characters + 3-gram LM", result.chars_lm_summary)):
        if not summary:
            continue
        metric = summary["metric"].upper()
        for lang in sorted(summary["by_lang"]):
            rows.append((name, lang, metric, _rate(summary, lang), "100.0%"))
        rows.append((name, "all", metric, _rate(summary), "100.0%"))
    return rows


def _learned(summary: dict | None) -> bool:
    """Clearly better than the empty transcript: a few random updates already score just under 100%."""
    rate = summary["totals"].get("error_rate") if summary else None
    return rate is not None and rate <= LEARNED_BELOW


def lm_coverage(data_dir: Path) -> float | None:
    """Share of test word tokens that occur in the train text (what the demo's LM is built from)."""
    def words(split: str) -> list[str]:
        return [w for m in sorted(data_dir.glob(f"*/{split}.jsonl")) for row in read_jsonl(m) for w in row["text"].split()]

    seen, test = set(words("train")), words("test")
    return sum(w in seen for w in test) / len(test) if test else None


def demo_notes(result: DemoResult) -> list[str]:
    notes = [f"training curves: {p}" for p in sorted(result.out_dir.glob("exp/*/curves.png"))]
    for name, summary in (("phoneme", result.phoneme_summary), ("character", result.chars_summary)):
        if summary and not _learned(summary):
            notes.append(f"the {name} model did not beat the empty-transcript baseline clearly (error above "
                         f"{100 * LEARNED_BELOW:.0f}%): from a random transformer, "
                         f"CTC emits only blanks for the first few hundred updates, and this machine did not get "
                         f"past them within the budget (try --budget-minutes 15)")
    coverage = lm_coverage(result.out_dir / CHARS_DATA)
    if result.chars_lm_summary and coverage is not None:
        notes.append(f"the 3-gram LM was built from the training sentences only, which contain {100 * coverage:.0f}% "
                     f"of the test words; an LM helps when it covers the test vocabulary (real use: external text)")
    slowest = max(result.stages, key=lambda s: s.seconds, default=None)
    if slowest:
        notes.append(f"slowest stage: {slowest.title} ({slowest.seconds:.0f} s)")
    notes.append("next: the same commands on a real Common Voice release with --model facebook/mms-300m "
                 "on a GPU (recipes/commonvoice/run.sh)")
    return notes


def print_summary(result: DemoResult, opts: DemoOptions, console) -> None:
    """The final table (each model against the empty-transcript baseline), then the notes."""
    from rich.table import Table

    table = Table(title=f"sshr demo in {result.out_dir}/ ({result.seconds / 60:.1f} of {opts.budget_minutes:g} min)")
    for name in ("model", "test set", "metric", "error", "trivial baseline"):
        table.add_column(name)
    for row in demo_rows(result):
        table.add_row(*row)
    console.print(table)
    for note in demo_notes(result):
        console.print(note, soft_wrap=True, markup=False)
