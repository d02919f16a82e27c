"""Word and segment times from CTC frame positions.

A word spans its first unit's first frame to its last unit's last frame (+1). Frames are
global: a window starting at sample `a` puts its local frame k at `a / hop + k`, so
seconds = frame x frame stride (20 ms) already include the chunk offset.
"""

from __future__ import annotations

from dataclasses import dataclass

from sshr_cli.decode.result import Word

SEGMENT_MAX_S = 6.0  # a subtitle cue is cut before it grows longer than this
SEGMENT_MAX_CHARS = 84  # two lines of 42 characters, the usual subtitle limit
SEGMENT_GAP_S = 0.8  # a pause this long between words starts a new cue


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    text: str


def frames_to_seconds(frame: int, stride_s: float) -> float:
    return round(frame * stride_s, 3)


def segments(words: list[Word]) -> list[Segment]:
    """Group words into cues at pauses, or before a cue gets too long."""
    out: list[Segment] = []
    current: list[Word] = []
    for word in words:
        if current and _breaks(current, word):
            out.append(_segment(current))
            current = []
        current.append(word)
    if current:
        out.append(_segment(current))
    return out


def _breaks(current: list[Word], word: Word) -> bool:
    text_len = sum(len(w.text) + 1 for w in current) + len(word.text)
    return (word.start_s - current[-1].end_s > SEGMENT_GAP_S
            or word.end_s - current[0].start_s > SEGMENT_MAX_S
            or text_len > SEGMENT_MAX_CHARS)


def _segment(words: list[Word]) -> Segment:
    return Segment(words[0].start_s, words[-1].end_s, " ".join(w.text for w in words))


def clock(seconds: float, decimal: str = ",") -> str:
    """3725.5 -> '01:02:05,500' (srt) or with decimal='.' '01:02:05.500' (vtt)."""
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{decimal}{ms:03d}"
