"""Dev evaluation: greedy CTC decoding, error rates per language, LID accuracy.

    result = evaluate_dev(model, loader, dev_set.utterance, vocab, units, device, lambda: autocast(dtype, device))

The error rate goes through `dev_error`, which calls the scorer behind `sshr score`
(sshr_cli.score.score_pairs), so the printed dev error is what `sshr score` reports on the same
hypotheses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, ContextManager

import torch

from sshr_cli.constants import BLANK_ID
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
    eval_set: str = "full"  # full | subset (train.eval_max_utterances)

    def row(self, step: int) -> dict:
        row = {"step": step, "split": "dev", "eval_set": self.eval_set, "loss": self.loss, "metric": self.metric,
               "error_rate": self.error_rate, "by_lang": self.by_lang, "n": self.n}
        if self.wer is not None:
            row["wer"] = self.wer
        if self.lid_accuracy is not None:
            row["lid_accuracy"] = self.lid_accuracy
        return row


def evaluate_dev(model, batches, utterance: Callable[[int], object], vocab, units: str, device: str,
                 context: Callable[[], ContextManager]) -> DevResult:
    """Loss, error rates and LID accuracy of `model` over dev `batches` (dataset indices, which
    `utterance(i)` turns into a record with .id, .lang and .units), under
    `context()` (autocast); the model's train/eval mode is left as it was."""
    pairs, loss_sum, n, lid_right, lid_n = [], 0.0, 0, 0, 0
    was_training = model.training
    model.eval()
    with torch.inference_mode(), context():
        for batch in batches:
            batch = batch.to(device)
            out = model(input_values=batch.input_values, attention_mask=batch.attention_mask,
                        labels=batch.labels, lang_ids=batch.lang_ids)
            loss_sum += float(out.loss) * len(batch.indices)
            n += len(batch.indices)
            for i, ids in zip(batch.indices, greedy_ids(out.logits.float(), out.output_lengths)):
                utt = utterance(i)
                pairs.append((utt.id, utt.lang, utt.units, " ".join(vocab.decode(ids))))
            if out.lid_logits is not None:
                lid_right += int((out.lid_logits.argmax(-1) == batch.lang_ids).sum())
                lid_n += len(batch.indices)
    model.train(was_training)
    metric, err, by_lang, wer = dev_error(pairs, units)
    return DevResult(loss=loss_sum / max(n, 1), metric=metric, error_rate=err, by_lang=by_lang, wer=wer,
                     lid_accuracy=lid_right / lid_n if lid_n else None, n=n)


def greedy_ids(logits: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
    """Best path per utterance: argmax per frame, merge repeats, drop blanks. logits [B, T, V]."""
    best = logits.argmax(-1).cpu()  # [B, T]
    out = []
    for row, n in zip(best, lengths.cpu().tolist()):
        ids = torch.unique_consecutive(row[:n]).tolist()
        out.append([i for i in ids if i != BLANK_ID])
    return out


def dev_error(pairs: list[tuple[str, str, str, str]], units: str) -> tuple[str, float, dict[str, float], float | None]:
    """(id, lang, reference units, hypothesis units) -> (metric, error rate, per-language rates, WER or None).

    Scored by sshr_cli.score.score_pairs, the function behind `sshr score`: PER on phone units
    (word separators dropped) or CER on the text the units spell (plus WER for information).
    """
    from sshr_cli.score import score_pairs

    if units == "phonemes":
        result = score_pairs([(i, ref, hyp, lang) for i, lang, ref, hyp in pairs], unit="phone")
        wer = None
    else:
        texts = [(i, units_to_text(ref), units_to_text(hyp), lang) for i, lang, ref, hyp in pairs]
        result = score_pairs(texts, unit="char")
        wer = _rate(score_pairs(texts, unit="word"))
    by_lang = {lang: _rate(c) for lang, c in result.by_lang.items()}
    return METRIC_OF_UNITS.get(units, "cer"), _rate(result.totals), by_lang, wer


def _rate(counts) -> float:
    rate = getattr(counts, "totals", counts).error_rate
    return float(rate) if rate is not None else 0.0
