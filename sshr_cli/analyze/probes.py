"""Linear probes (scikit-learn logistic regression) scored on held-out speakers."""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from sshr_cli.analyze.config import PROBE_MAX_ITER


@dataclass(frozen=True)
class ProbeScore:
    accuracy: float  # fraction of test items predicted right
    true_prob: float  # mean probability given to the right class (breaks accuracy ties)
    converged: bool


def chance_level(test_labels: Sequence[str]) -> float:
    """Majority-class rate on the test split: what a constant guess would score at best."""
    counts = Counter(test_labels)
    return max(counts.values()) / len(test_labels) if counts else 0.0


def probe(train_x: np.ndarray, train_y: Sequence[str], test_x: np.ndarray, test_y: Sequence[str], seed: int) -> ProbeScore:
    """Standardise, fit a multinomial logistic regression on train, score on test."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train_y, test_y = np.asarray(train_y), np.asarray(test_y)
    if len(set(train_y)) < 2:
        return ProbeScore(float(np.mean(test_y == train_y[0])), float(np.mean(test_y == train_y[0])), True)
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=PROBE_MAX_ITER, random_state=seed))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clf.fit(np.asarray(train_x, np.float32), train_y)
    proba = clf.predict_proba(np.asarray(test_x, np.float32))  # [N, classes]
    classes = list(clf.classes_)
    pred = np.asarray(classes)[proba.argmax(axis=1)]
    index = {c: k for k, c in enumerate(classes)}
    true_prob = [proba[n, index[y]] if y in index else 0.0 for n, y in enumerate(test_y)]
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return ProbeScore(float(np.mean(pred == test_y)), float(np.mean(true_prob)), converged)
