"""fairseq's tri-stage learning-rate schedule (wav2vec 2.0 fine-tuning), as a LambdaLR factor.

    factor(step) = init_scale -> 1 linearly over warm-up, 1 during hold,
                   then exponential decay 1 -> final_scale, then final_scale.
Every parameter group (encoder, heads) is scaled by the same factor of its own peak lr.
"""

from __future__ import annotations

import math

from sshr_cli.config import ScheduleSection


def tri_stage_factor(step: int, total_steps: int, s: ScheduleSection) -> float:
    warmup = int(round(s.warmup_ratio * total_steps))
    hold = int(round(s.hold_ratio * total_steps))
    decay = max(total_steps - warmup - hold, 0) if s.decay_ratio > 0 else 0
    if step < warmup:
        return s.init_lr_scale + (1.0 - s.init_lr_scale) * step / warmup
    step -= warmup
    if step < hold:
        return 1.0
    step -= hold
    if step < decay:
        return math.exp(math.log(s.final_lr_scale) * step / decay)
    return s.final_lr_scale


def decay_start(total_steps: int, s: ScheduleSection) -> int:
    """The update where the tri-stage decay begins (after warm-up and hold)."""
    return int(round(s.warmup_ratio * total_steps)) + int(round(s.hold_ratio * total_steps))


def planned_factor(step: int, total_steps: int, s: ScheduleSection, extensions=()) -> float:
    """The lr factor of a run whose max_steps was raised on resume. `extensions`: (from_step, old_total,
    new_total) in order. Each re-plans the decay from its step (or from the original decay start, if
    later): the factor reached there decays exponentially to final_lr_scale at new_total (it stays at
    final_lr_scale when the run had already got there). Steps before it keep the earlier plan."""
    if not extensions:
        return tri_stage_factor(step, total_steps, s)
    *earlier, (from_step, old_total, new_total) = extensions
    start = max(from_step, decay_start(extensions[0][1], s))
    if step <= start or new_total <= start:
        return planned_factor(step, old_total, s, tuple(earlier))
    begin = planned_factor(start, old_total, s, tuple(earlier))
    if begin <= s.final_lr_scale:
        return begin
    if step >= new_total:
        return s.final_lr_scale
    return begin * math.exp(math.log(s.final_lr_scale / begin) * (step - start) / (new_total - start))


def make_scheduler(optimizer, total_steps: int, s: ScheduleSection, extensions=()):
    import torch

    extensions = tuple(tuple(e) for e in extensions)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: planned_factor(step, total_steps, s, extensions))
