"""Target units: characters or phonemes, space-separated, `|` between words."""

from __future__ import annotations

from sshr_cli.constants import WORD_SEPARATOR


def text_to_chars(text: str) -> list[str]:
    """'hi yo' -> ['h', 'i', '|', 'y', 'o'] (text must already be normalised)."""
    units: list[str] = []
    for i, word in enumerate(text.split()):
        if i:
            units.append(WORD_SEPARATOR)
        units.extend(word)
    return units


def units_to_text(units: list[str] | str) -> str:
    """['h', 'i', '|', 'y', 'o'] -> 'hi yo'. Phoneme units are joined the same way."""
    if isinstance(units, str):
        units = units.split()
    words, current = [], []
    for unit in units:
        if unit == WORD_SEPARATOR:
            words.append("".join(current))
            current = []
        else:
            current.append(unit)
    words.append("".join(current))
    return " ".join(w for w in words if w)
