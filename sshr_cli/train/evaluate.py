"""Dev evaluation: greedy CTC decoding, error rates per language, LID accuracy.

The error rate goes through one small function, `dev_error`, so that it can use the same
scorer as `sshr score` (sshr_cli.score) when that is available and the printed dev error
equals what `sshr score` reports on the same hypotheses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from sshr_cli.constants import BLANK_ID, WORD_SEPARATOR
from sshr_cli.text.units import units_to_text

METRIC_OF_UNITS = {"phonemes": "per", "chars": "cer"}


@dataclass
class DevResult:
    loss: float
    metric: str  # per | cer
    error_rate: float  # fraction
    by_lang: dict[str, float] = field(default_factory=dict)
    wer: float | None = None  # word error rate, for character targets
    lid_accuracy: float | None = None
    n: int = 0

    def row(self, step: int) -> dict:
        row = {"step": step, "split": "dev", "loss": self.loss, "metric": self.metric,
               "error_rate": self.error_rate, "by_lang": self.by_lang, "n": self.n}
        if self.wer is not None:
            row["wer"] = self.wer
        if self.lid_accuracy is not None:
            row["lid_accuracy"] = self.lid_accuracy
        return row


def greedy_ids(logits: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
    """Best path per utterance: argmax per frame, merge repeats, drop blanks. logits [B, T, V]."""
    best = logits.argmax(-1).cpu()  # [B, T]
    out = []
    for row, n in zip(best, lengths.cpu().tolist()):
        ids = torch.unique_consecutive(row[:n]).tolist()
        out.append([i for i in ids if i != BLANK_ID])
    return out


def dev_error(pairs: list[tuple[str, str, str]], units: str) -> tuple[str, float, dict[str, float], float | None]:
    """(lang, reference units, hypothesis units) -> (metric, error rate, per-language rates, WER or None)."""
    metric = METRIC_OF_UNITS.get(units, "cer")
    by_lang = {}
    for lang in sorted({p[0] for p in pairs}):
        by_lang[lang] = _rate([p for p in pairs if p[0] == lang], metric)
    wer = _rate(pairs, "wer") if metric == "cer" else None
    return metric, _rate(pairs, metric), by_lang, wer


def _rate(pairs, metric: str) -> float:
    """Errors / reference length, pooled over utterances (not averaged per utterance)."""
    import jiwer

    if metric == "per":  # phonemes are the tokens; word boundaries are not scored
        refs = [" ".join(u for u in r.split() if u != WORD_SEPARATOR) for _, r, _ in pairs]
        hyps = [" ".join(u for u in h.split() if u != WORD_SEPARATOR) for _, _, h in pairs]
    else:
        refs = [units_to_text(r) for _, r, _ in pairs]
        hyps = [units_to_text(h) for _, _, h in pairs]
    keep = [i for i, r in enumerate(refs) if r.strip()]
    refs, hyps = [refs[i] for i in keep], [hyps[i] for i in keep]
    if not refs:
        return 0.0
    if metric == "cer":
        return float(jiwer.cer(refs, hyps))
    return float(jiwer.wer(refs, hyps))
