"""From the two curves to SSHR layer choices.

- lid_layer: the layer with the most language information (accuracy, ties broken by the mean
  probability of the right language) among layers 1 .. ceil(L * LID_SEARCH_FRACTION).
- num_layers: content peaks at some layer; keep going up while content stays within
  CONTENT_TOLERANCE of the peak. Where it falls below, the later layers are deleted.
- cross_ctc_layers: the content-rich top section is the run of layers ending at num_layers
  (and above lid_layer) whose content accuracy keeps RICH_FRACTION of the peak's gain over
  chance; `count` layers evenly spaced in it, num_layers included.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Sequence

LID_SEARCH_FRACTION = 0.5  # lower/middle half of the encoder
CONTENT_TOLERANCE = 0.02  # accuracy points below the content peak that still count as "not falling"
RICH_FRACTION = 0.9  # share of the peak's gain over chance that makes a layer content-rich


@dataclass(frozen=True)
class Recommendation:
    lid_layer: int
    num_layers: int
    cross_ctc_layers: tuple[int, ...]
    notes: tuple[str, ...] = field(default=())

    def overrides(self) -> dict:
        return {"model.lid_layer": self.lid_layer, "model.num_layers": self.num_layers,
                "model.cross_ctc_layers": list(self.cross_ctc_layers)}

    def yaml(self) -> str:
        lines = [f"{k}: {_flow(v)}" for k, v in self.overrides().items()]
        return "# sshr analyze: recommended SSHR layers (use with sshr finetune --set)\n" + "\n".join(lines) + "\n"

    def set_flags(self) -> str:
        """Shell-ready: list values are quoted, so brackets are not globbed."""
        return " ".join(f"--set '{k}={_flow(v)}'" if isinstance(v, list) else f"--set {k}={v}"
                        for k, v in self.overrides().items())

    def to_dict(self) -> dict:
        d = asdict(self)
        return {**d, "cross_ctc_layers": list(self.cross_ctc_layers), "notes": list(self.notes)}


def _flow(value) -> str:
    return "[" + ",".join(map(str, value)) + "]" if isinstance(value, list) else str(value)


def recommend_layers(lang_acc: Sequence[float], lang_prob: Sequence[float], content_acc: Sequence[float],
              content_chance: float, count: int = 3) -> Recommendation:
    """Curves are indexed by layer 0..L (0 = input of the first transformer layer)."""
    n = len(lang_acc) - 1
    notes: list[str] = []
    lid = pick_lid_layer(lang_acc, lang_prob)
    top = content_top(content_acc)
    if top <= lid:
        notes.append(f"content falls at layer {top}, not above lid_layer {lid}; num_layers raised to {lid + 1}")
        top = min(n, lid + 1)
    cross = cross_layers(content_acc, content_chance, lid, top, count)
    return Recommendation(lid, top, cross, tuple(notes))


def pick_lid_layer(lang_acc: Sequence[float], lang_prob: Sequence[float]) -> int:
    n = len(lang_acc) - 1
    search = range(1, max(1, math.ceil(n * LID_SEARCH_FRACTION)) + 1)
    return max(search, key=lambda l: (lang_acc[l], lang_prob[l], -l))


def content_top(content_acc: Sequence[float]) -> int:
    n = len(content_acc) - 1
    peak = max(range(1, n + 1), key=lambda l: (content_acc[l], -l))
    top = peak
    while top < n and content_acc[top + 1] >= content_acc[peak] - CONTENT_TOLERANCE:
        top += 1
    return top


def cross_layers(content_acc: Sequence[float], chance: float, lid: int, top: int, count: int) -> tuple[int, ...]:
    peak = max(content_acc[1 : top + 1])
    rich = chance + RICH_FRACTION * (peak - chance)
    low = top
    while low - 1 > lid and content_acc[low - 1] >= rich:
        low -= 1
    if top - low + 1 <= count:
        return tuple(range(low, top + 1))
    return tuple(sorted({round(low + k * (top - low) / (count - 1)) for k in range(count)})) if count > 1 else (top,)
