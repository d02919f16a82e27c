"""The SSHR training losses: CTC on the final and intermediate heads, and the LID cross-entropy.

    total = (1-w)*ctc_loss(final) + w*inter_ctc_loss(intermediate) + lid_weight*lid_loss
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from .constants import BLANK_ID
from .errors import DataError

CTC_LOSS_REDUCTION = "mean"  # per-utterance loss / target length, averaged over the batch
LID_IGNORE_ID = -100  # lang_ids entry for an utterance without a language label


def ctc_loss(logits: torch.Tensor, labels: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """CTC with blank 0 and zero_infinity; each utterance's loss / its target length, averaged over the batch."""
    return _ctc(logits.float().log_softmax(-1), labels, lengths)


def inter_ctc_loss(log_probs: list[torch.Tensor], labels: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The mean of ctc_loss over the intermediate layers' log-probs [B, T, V], in one CTC call: the
    batch mean over k stacked copies of the batch is the mean of the k batch means."""
    k = len(log_probs)
    stacked = torch.cat(log_probs, dim=0)  # k x [B, T, V] -> [k*B, T, V]
    return _ctc(stacked, labels.repeat(k, 1), lengths.repeat(k))  # labels [B, L] -> [k*B, L]


def _ctc(log_probs: torch.Tensor, labels: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """F.ctc_loss on float32 log-probs [B, T, V] (see ctc_loss)."""
    valid = labels > BLANK_ID  # -100 padding (and stray blanks) are not targets
    with torch.backends.cudnn.flags(enabled=False):
        return F.ctc_loss(log_probs.transpose(0, 1), labels.masked_select(valid), lengths,  # [B, T, V] -> [T, B, V]
                          valid.sum(-1), blank=BLANK_ID, reduction=CTC_LOSS_REDUCTION, zero_infinity=True)


def lid_loss(lid_logits: torch.Tensor, lang_ids: torch.Tensor) -> torch.Tensor:
    """Cross-entropy averaged over utterances with a language (LID_IGNORE_ID = none); 0 if none has one."""
    labelled = (lang_ids != LID_IGNORE_ID).sum()
    summed = F.cross_entropy(lid_logits.float(), lang_ids, ignore_index=LID_IGNORE_ID, reduction="sum")
    return summed / labelled.clamp(min=1)


def check_targets(labels: torch.Tensor, lang_ids: torch.Tensor | None, vocab_size: int, n_langs: int) -> None:
    """One-line DataErrors for label ids outside the vocabulary and language ids outside model.languages."""
    if labels.numel() and int(labels.max()) >= vocab_size:
        raise DataError(f"labels contain id {int(labels.max())} but the vocabulary has {vocab_size} "
                        "tokens; encode targets with the checkpoint's vocab.json")
    if lang_ids is None or not n_langs:
        return
    given = lang_ids[lang_ids != LID_IGNORE_ID]
    if given.numel() and (int(given.min()) < 0 or int(given.max()) >= n_langs):
        raise DataError(f"lang_ids must be in 0..{n_langs - 1} (model.languages) or {LID_IGNORE_ID}; "
                        f"got {lang_ids.tolist()}")


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """[B, T, D] averaged over the valid frames of each utterance -> [B, D]."""
    if mask is None:
        return hidden.mean(dim=1)
    weights = mask.to(hidden.dtype)[..., None]  # [B, T] -> [B, T, 1]
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
