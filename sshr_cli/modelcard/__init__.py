"""The model card (README.md) that `sshr push` uploads, built and checked with huggingface_hub.

Metadata comes from what the run folder proves, never from guesses:
- `language`: the checkpoint's trained languages (config.json "sshr" section), else the
  languages scored in summary.json files;
- `base_model`: the encoder id recorded in the checkpoint (only if it is a Hub id);
- `model-index`: one result per language and split of every `summary.json` under the run
  folder (written by `sshr score`), as percentages, each checked to be a real number in range.

No network here: `build_card` is what `sshr push --dry-run` prints.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from sshr_cli.constants import CV_HUB_DATASET, CV_RELEASE, SSHR_CONFIG_KEY
from sshr_cli.errors import DataError
from sshr_cli.modelcard.facts import CheckpointFacts, checkpoint_facts, shown_path
from sshr_cli.modelcard.usage import usage
from sshr_cli.runs import RECIPE_FILE, read_json, read_yaml, run_config

SUMMARY_FILE = "summary.json"
METRICS = {"wer": "word", "cer": "char", "per": "phone"}  # metric -> unit, as `sshr score` writes
# metric -> the Hub's metric id (hf.co/metrics). The Hub has no phone error rate; PER is WER's edit
# distance over phoneme tokens, so it goes under `wer` and its name says PER (phonemes).
HUB_METRIC = {"wer": "wer", "cer": "cer", "per": "wer"}
METRIC_QUALIFIER = {"per": "phonemes"}  # added to the model-index name where the id alone would mislead
LOCAL_DATASET = "local"  # model-index dataset.type when the data's origin is not recorded
MAX_ERROR_RATE = 10.0  # fraction (1000 %): above this a summary is broken, not a bad model
TASK = "automatic-speech-recognition"
CARD_TAGS = (TASK, "sshr", "ctc")
UNKNOWN_LICENSE = "unknown"
# Licenses of the encoders sshr recipes start from; a fine-tuned model inherits its encoder's.
BASE_MODEL_LICENSES = {
    "facebook/mms-300m": "cc-by-nc-4.0",
    "facebook/mms-1b": "cc-by-nc-4.0",
    "facebook/mms-1b-all": "cc-by-nc-4.0",
    "facebook/wav2vec2-xls-r-300m": "apache-2.0",
    "facebook/wav2vec2-xls-r-1b": "apache-2.0",
    "facebook/wav2vec2-large-xlsr-53": "apache-2.0",
}
CONFIG_TABLE_MAX_ROWS = 40  # rows of the run's resolved config.yaml shown in the card

SSHR_PARAGRAPH = (
    "SSHR (Self-Supervised Hierarchical Representations, [arXiv 2309.16937](https://arxiv.org/abs/2309.16937)) "
    "fine-tunes a self-supervised speech encoder for multilingual CTC recognition. It pools a language-ID frame "
    "from a middle encoder layer and prepends it so that later self-attention layers are conditioned on the "
    "language; it deletes or replaces the final encoder layers, whose content is less useful for recognition; and "
    "with Cross-CTC it feeds intermediate CTC posteriors back into later layers by cross-attention."
)


@dataclass(frozen=True)
class ScoreResult:
    """One language x split row of a summary.json."""

    source: str  # the summary's folder, relative to the run folder (e.g. "score_test")
    metric: str  # wer | cer | per
    split: str
    dataset: str | None
    lang: str
    error_rate: float  # fraction
    n: int  # reference units (words, chars or phones)


# ---------------------------------------------------------------- scores
def read_scores(run_dir: Path) -> list[ScoreResult]:
    """Every language x split result of every summary.json under `run_dir`, checked."""
    results: list[ScoreResult] = []
    for path in sorted(Path(run_dir).rglob(SUMMARY_FILE)):
        results.extend(_summary_results(path, Path(run_dir)))
    return results


def _summary_results(path: Path, run_dir: Path) -> list[ScoreResult]:
    data = read_json(path, DataError, hint="re-run `sshr score` or delete it")
    metric, split = data.get("metric"), data.get("split")
    if metric not in METRICS:
        raise DataError(f"{path}: metric {metric!r} is not one of {sorted(METRICS)}; re-run `sshr score`")
    if not isinstance(split, str) or not split.strip() or split.strip().lower() in ("none", "null"):
        raise DataError(f"{path}: split {split!r} is not a split name like 'test'; re-run `sshr score`")
    by_lang = data.get("by_lang") or {}
    if not isinstance(by_lang, dict) or not by_lang:
        raise DataError(f"{path}: no per-language results under 'by_lang'; re-run `sshr score`")
    source = str(path.parent.relative_to(run_dir)) if path.parent != run_dir else "."
    return [ScoreResult(source, metric, split.strip(), data.get("dataset"), lang, _error_rate(path, lang, row),
                        int(row["n"]))
            for lang, row in sorted(by_lang.items()) if _has_reference(path, lang, row)]


def _has_reference(path: Path, lang: str, row) -> bool:
    """A language with no reference units (n=0) has no error rate to publish: it is left out."""
    n = row.get("n") if isinstance(row, dict) else None
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise DataError(f"{path}: {lang} n={n!r} is not a count of reference units; re-run `sshr score`")
    return n > 0


def _error_rate(path: Path, lang: str, row: dict) -> float:
    rate = row.get("error_rate")
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not math.isfinite(rate):
        raise DataError(f"{path}: {lang} error_rate {rate!r} is not a number; re-run `sshr score`")
    if rate < 0 or rate > MAX_ERROR_RATE:
        raise DataError(f"{path}: {lang} error_rate {rate} (a fraction) is outside 0..{MAX_ERROR_RATE}; "
                        f"this summary is broken: re-run `sshr score`")
    return float(rate)


# ---------------------------------------------------------------- card
def build_card(checkpoint_dir: Path, run_dir: Path, repo_id: str, license: str | None = None,
               datasets: tuple[str, ...] = ()):
    """The README.md as a huggingface_hub ModelCard, metadata round-tripped through its classes."""
    from huggingface_hub import ModelCard, ModelCardData

    facts = checkpoint_facts(checkpoint_dir, run_dir)
    scores = read_scores(run_dir)
    languages = list(facts.languages) or sorted({s.lang for s in scores})
    name = repo_id.split("/")[-1]
    data = ModelCardData(
        language=languages or None, license=license or BASE_MODEL_LICENSES.get(facts.base_model or "", UNKNOWN_LICENSE),
        tags=list(CARD_TAGS), base_model=facts.base_model, pipeline_tag=TASK,
        datasets=sorted(set(datasets) | {hub_dataset(s.dataset)[0] for s in scores if s.dataset}) or None,
        library_name="transformers" if facts.transformers_loadable else None,
        metrics=sorted({HUB_METRIC[s.metric] for s in scores}) or None,
        model_name=name, eval_results=eval_results(scores) or None,
    )
    recipe = run_config(run_dir) or read_yaml(Path(checkpoint_dir) / RECIPE_FILE)
    body = card_body(name, repo_id, facts, scores, recipe, languages)
    card = ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body}")
    check_card(card, expected=data)
    return card


def eval_results(scores: list[ScoreResult]) -> list:
    """model-index rows: one per language x split (x summary), values in percent."""
    from huggingface_hub import EvalResult

    per_split: dict[str, set[str]] = {}
    for s in scores:
        per_split.setdefault(s.split, set()).add(s.source)
    rows = []
    for s in scores:
        qualifiers = [METRIC_QUALIFIER.get(s.metric)]
        if len(per_split[s.split]) > 1:  # two summaries of one split (e.g. with and without an LM)
            qualifiers.append(s.source)
        label = f"{s.split.capitalize()} {s.metric.upper()}" + _parenthesised(qualifiers)
        dataset_type, title, release = hub_dataset(s.dataset)
        rows.append(EvalResult(
            task_type=TASK, task_name="Speech Recognition", dataset_type=dataset_type,
            dataset_name=title + _parenthesised([release, s.lang]), dataset_config=s.lang,
            dataset_split=s.split, metric_type=HUB_METRIC[s.metric], metric_value=round(100 * s.error_rate, 2),
            metric_name=label,
        ))
    return rows


def hub_dataset(dataset: str | None) -> tuple[str, str, str | None]:
    """(model-index dataset.type, a title, the release) for summary.json's dataset:
    'cv-corpus-17.0-2024-03-15' -> ('common_voice', 'Common Voice 17.0', 'cv-corpus-17.0-2024-03-15')."""
    if not dataset:
        return LOCAL_DATASET, "local data", None
    release = re.fullmatch(CV_RELEASE, dataset)
    if release:
        return CV_HUB_DATASET, f"Common Voice {release.group(1)}", dataset
    if dataset in ("commonvoice", CV_HUB_DATASET):  # a corpus folder not named like a release
        return CV_HUB_DATASET, "Common Voice", None
    return dataset, dataset, None


def _parenthesised(parts: list[str | None]) -> str:
    kept = [p for p in parts if p]
    return f" ({', '.join(kept)})" if kept else ""


def check_card(card, expected) -> None:
    """Parse the card back with huggingface_hub and insist nothing was lost or left empty."""
    from huggingface_hub import ModelCard

    try:
        parsed = ModelCard(str(card), ignore_metadata_errors=False).data
    except ValueError as exc:
        raise DataError(f"the model card's metadata does not parse back with huggingface_hub: {exc}") from exc
    if parsed.to_dict() != expected.to_dict():
        raise DataError("the model card's metadata changed in a YAML round trip; this is a bug in sshr")
    for result in parsed.eval_results or []:
        if not result.dataset_split or not isinstance(result.metric_value, (int, float)):
            raise DataError(f"model-index row {result.dataset_name}: missing split or value; this is a bug in sshr")


def card_body(name: str, repo_id: str, facts: CheckpointFacts, scores: list[ScoreResult], run_config: dict,
              languages: list[str]) -> str:
    parts = [f"# {name}", "",
             f"A CTC speech recogniser for {', '.join(languages) or 'the languages below'}, "
             f"fine-tuned from {facts.encoder or 'a self-supervised encoder'} with the `sshr` toolkit.", "",
             "## What SSHR is", "", SSHR_PARAGRAPH, "",
             "## Training configuration", "", _config_table(facts, run_config), "",
             "## Results", "", _results_table(scores), "",
             "## Usage", "", usage(repo_id, facts)]
    return "\n".join(parts) + "\n"


def _table(header: tuple[str, ...], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _config_table(facts: CheckpointFacts, run_config: dict) -> str:
    vocab = f"{facts.vocab_size} symbols" if facts.vocab_size is not None else "not recorded"
    rows = [("architecture", facts.arch), ("encoder", facts.encoder or "not recorded"),
            ("languages", ", ".join(facts.languages) or "not recorded"),
            ("output units", f"{facts.units}, {vocab}" if facts.units else vocab)]
    if facts.step is not None:
        rows.append(("checkpoint", f"saved at update {facts.step}" + (", the best on dev" if facts.best else "")))
    rows += [(f"sshr.{k}", _fmt(v)) for k, v in facts.sshr.items() if k not in ("arch", "languages")]
    # the recipe's model section repeats config.json's sshr section (shown above); the rest is training
    flat = [(k, v) for k, v in _flatten(run_config) if not k.startswith(("model.", f"{SSHR_CONFIG_KEY}."))]
    rows += [(f"run.{k}", _fmt(v)) for k, v in flat[:CONFIG_TABLE_MAX_ROWS]]
    if len(flat) > CONFIG_TABLE_MAX_ROWS:
        rows.append(("...", f"{len(flat) - CONFIG_TABLE_MAX_ROWS} more settings in the run's config.yaml"))
    return _table(("setting", "value"), rows)


def _flatten(data: dict, prefix: str = ""):
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _fmt(value) -> str:
    value = shown_path(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "(none)"
    return "None" if value is None else str(value)


def _results_table(scores: list[ScoreResult]) -> str:
    if not scores:
        return "No scores yet: run `sshr score` on a held-out set, then push again."
    rows = [(s.lang, s.split, _dataset_shown(s.dataset), s.metric.upper(), f"{100 * s.error_rate:.2f}",
             f"{s.n} {METRICS[s.metric]}s", s.source) for s in scores]
    return ("Error rates in percent (lower is better), from `sshr score`:\n\n"
            + _table(("language", "split", "dataset", "metric", "error (%)", "reference", "from"), rows))


def _dataset_shown(dataset: str | None) -> str:
    _, title, release = hub_dataset(dataset)
    return title + _parenthesised([release])
