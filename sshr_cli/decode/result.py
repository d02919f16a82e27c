"""What a decoder returns: words with frame spans, and per-file transcripts with times in seconds."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Word:
    text: str
    start_s: float
    end_s: float
    units: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hypothesis:
    """One decoding of one utterance; frames are global encoder frames (chunk offsets applied)."""

    units: tuple[str, ...]  # emitted units, `|` between words
    words: tuple[tuple[str, int, int], ...]  # (word, first frame, last frame + 1)
    score: float = 0.0  # log score (acoustic for greedy, acoustic + LM for beam)

    @property
    def text(self) -> str:
        return " ".join(w for w, _, _ in self.words)


@dataclass
class Transcript:
    """A decoded file (or manifest row). `error` is set, and the rest empty, when it was skipped."""

    path: str
    id: str
    text: str = ""
    words: list[Word] = field(default_factory=list)
    units: tuple[str, ...] = ()
    duration_s: float = 0.0
    lang: str | None = None
    lang_prob: float | None = None
    nbest: list[dict] = field(default_factory=list)  # [{"text", "score"}] when --nbest > 1
    error: str | None = None
