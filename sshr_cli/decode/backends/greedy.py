"""Best-path decoding as a backend: argmax per frame, repeats merged, blanks dropped; one hypothesis."""

from __future__ import annotations

import numpy as np

from sshr_cli.decode.backends.base import Backend, BeamSpec
from sshr_cli.decode.greedy import greedy_decode
from sshr_cli.decode.result import Hypothesis


class GreedyBackend(Backend):
    name = "greedy"
    beam = False  # not a --decoder choice: `sshr decode` is greedy when no beam search is asked for
    in_process = True  # an argmax: a pool would only add start-up time

    def __init__(self, spec: BeamSpec):
        self.vocab = spec.vocab

    def decode(self, log_probs: np.ndarray) -> list[Hypothesis]:
        """[T, V] -> [the best path]; its score is the path's summed log-probability."""
        return [greedy_decode(log_probs, self.vocab)]
