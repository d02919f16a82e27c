"""The decoder interface, the table of backends by name, and the options that pick one.

    spec = BeamSpec.create(vocab, BeamOptions(lm_path="lm.arpa"), checkpoint_dir)
    decoder = spec.build()                 # the backend spec.backend names, in this process
    hyps = decoder.decode(log_probs)       # [T, V] -> n-best list of Hypothesis

A backend is a `Backend` subclass in its own file of this folder; backends/__init__.py
registers it. `BeamOptions.backend` is "auto" or a beam-search backend's name: "auto" takes
the highest `auto_rank` that is installed and can do the job, else the lowest-ranked one (the
fallback, chosen even when it is not installed: building it then names the package to install).
This module never imports a backend: backends import it, and backends/__init__.py fills
`_REGISTRY` through `register`.
"""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from sshr_cli.constants import BLANK_ID, DEFAULT_ALPHA, DEFAULT_BEAM_WIDTH, DEFAULT_BETA, DEFAULT_HOTWORD_WEIGHT, WORD_SEPARATOR
from sshr_cli.decode.backends.common import LM_EXTRA, lm_notes
from sshr_cli.decode.result import Hypothesis
from sshr_cli.errors import ConfigError, require
from sshr_cli.text.vocab import Vocab

AUTO = "auto"
DEFAULT_START_METHOD = "spawn"  # works on every platform; fork is unsafe once torch has threads


@dataclass(frozen=True, kw_only=True)
class BeamOptions:
    lm_path: str | None = None  # ARPA or KenLM binary
    alpha: float = DEFAULT_ALPHA  # LM weight
    beta: float = DEFAULT_BETA  # word insertion bonus
    beam_width: int = DEFAULT_BEAM_WIDTH
    hotwords: tuple[str, ...] = ()
    hotword_weight: float = DEFAULT_HOTWORD_WEIGHT
    nbest: int = 1
    workers: int | None = None  # decoding processes; 0 = in this process; None = all cores (pyctcdecode), 0 (flashlight)
    start_method: str = DEFAULT_START_METHOD
    backend: str = AUTO  # "auto" or a beam-search backend's name (beam_choices())

    def check(self) -> None:
        check_backend(self.backend)
        if self.beam_width < 1:
            raise ConfigError(f"--beam-width must be at least 1, got {self.beam_width}")
        if self.nbest < 1 or self.nbest > self.beam_width:
            raise ConfigError(f"--nbest must be between 1 and --beam-width ({self.beam_width}), got {self.nbest}")
        if self.lm_path is not None and not Path(self.lm_path).is_file():
            raise ConfigError(f"--lm {self.lm_path}: file not found (build one with `sshr lm build`)")


@dataclass(frozen=True, kw_only=True)
class BeamSpec:
    """Everything a worker process needs to build the decoder; small and picklable."""

    tokens: tuple[str, ...]
    options: BeamOptions
    blank_id: int = BLANK_ID  # the vocabulary's CTC blank (Vocab.blank_id)
    separator: str = WORD_SEPARATOR  # its word delimiter token
    upper_case: bool = False  # letters spelled upper-case (units come out lower-case)
    backend: str  # a registered name: never "auto"
    unigrams: tuple[str, ...] | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def create(cls, vocab: Vocab, options: BeamOptions, checkpoint: Path | None = None) -> "BeamSpec":
        options.check()
        unigrams, notes = None, []
        if options.lm_path is not None:
            unigrams, notes = lm_notes(options.lm_path, vocab, checkpoint)
        backend, note = pick_backend(options, vocab, unigrams)
        notes += [note] if note else []
        return cls(tokens=vocab.tokens, blank_id=vocab.blank_id, separator=vocab.separator, upper_case=vocab.upper_case,
                   options=options, backend=backend, unigrams=unigrams, warnings=tuple(notes))

    @property
    def vocab(self) -> Vocab:
        return Vocab(self.tokens, self.blank_id, self.separator, self.upper_case)

    def build(self) -> "Backend":
        """The decoder: `decode(log_probs [T, V]) -> list[Hypothesis]`."""
        return backend_class(self.backend)(self)


class Backend(ABC):
    """A CTC decoder built from a BeamSpec: `decode(log_probs [T, V]) -> list[Hypothesis]`, best first."""

    name: ClassVar[str]
    beam: ClassVar[bool] = True  # a beam search: a choice for --decoder and BeamOptions.backend
    auto_rank: ClassVar[int | None] = None  # "auto" tries higher ranks first; None: never picked by "auto"
    module: ClassVar[str | None] = None  # the optional package it needs, imported lazily
    in_process: ClassVar[bool] = False  # so fast that a worker pool's start-up costs more than it saves

    @abstractmethod
    def __init__(self, spec: BeamSpec): ...

    @abstractmethod
    def decode(self, log_probs: np.ndarray) -> list[Hypothesis]: ...

    @classmethod
    def installed(cls) -> bool:
        return cls.module is None or importlib.util.find_spec(cls.module) is not None

    @classmethod
    def require(cls) -> None:
        """Import the optional package, or raise an error naming the extra to install."""
        if cls.module is not None:
            require(cls.module, LM_EXTRA)

    @classmethod
    def limit(cls, options: BeamOptions, vocab: Vocab, unigrams: tuple[str, ...] | None) -> str | None:
        """Why this backend cannot do this search, or None."""
        return None


_REGISTRY: dict[str, type[Backend]] = {}  # filled by backends/__init__.py, in listing order


def register(*classes: type[Backend]) -> None:
    for cls in classes:
        _REGISTRY[cls.name] = cls


def backend_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def backend_class(name: str) -> type[Backend]:
    if name not in _REGISTRY:
        raise ConfigError(f"unknown decoder backend {name!r}; known backends: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def beam_choices() -> tuple[str, ...]:
    """What --decoder and BeamOptions.backend accept: "auto" and every beam-search backend."""
    return (AUTO, *(name for name, cls in _REGISTRY.items() if cls.beam))


def check_backend(name: str) -> None:
    if name not in beam_choices():
        raise ConfigError(f"--decoder must be one of {', '.join(beam_choices())}, got {name!r}")


def pick_backend(options: BeamOptions, vocab: Vocab, unigrams: tuple[str, ...] | None) -> tuple[str, str | None]:
    """Resolve "auto"; explain a fallback, or refuse what an explicitly named backend cannot do."""
    if options.backend == AUTO:
        return _auto_backend(options, vocab, unigrams)
    cls = backend_class(options.backend)
    cls.require()
    reason = cls.limit(options, vocab, unigrams)
    if reason:
        raise ConfigError(f"--decoder {cls.name}: {reason}; use --decoder {_fallback().name}")
    return cls.name, None


def _auto_backend(options: BeamOptions, vocab: Vocab, unigrams: tuple[str, ...] | None) -> tuple[str, str | None]:
    """The best installed backend that can do the job; else the fallback, with the reasons."""
    fallback, reasons = _fallback(), []
    for cls in _ranked():
        if cls is fallback or not cls.installed():
            continue
        reason = cls.limit(options, vocab, unigrams)
        if reason is None:
            return cls.name, None
        reasons.append(reason)
    return fallback.name, f"beam search with {fallback.name}: {'; '.join(reasons)}" if reasons else None


def _ranked() -> list[type[Backend]]:
    """The backends "auto" may pick, best first."""
    return sorted((c for c in _REGISTRY.values() if c.auto_rank is not None), key=lambda c: -c.auto_rank)


def _fallback() -> type[Backend]:
    return _ranked()[-1]
