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


def make_scheduler(optimizer, total_steps: int, s: ScheduleSection):
    import torch

    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: tri_stage_factor(step, total_steps, s))
