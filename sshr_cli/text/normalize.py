"""Per-language text normalisation, used by `prepare` (training targets) and `score` (both sides).

Rules, in order:
1. Unicode NFKC (compatibility forms folded: full-width letters, ligatures, superscripts).
2. Apostrophe variants (’ ‘ ʼ ′ `) become ASCII '.
3. Lower case with str.lower(), not casefold(): casefold turns German ß into "ss", which
   changes the spelling the model must learn. Turkish/Azeri map I -> ı and İ -> i first.
4. Every character in a Unicode punctuation (P*) or symbol (S*) category becomes a space,
   except an apostrophe *between two letters* in languages that write one inside words
   (en, fr, it, ca, nl, ...): "l'eau" stays, "'quoted'" loses its quotes. Marks (M*) are kept,
   so Indic and Arabic diacritics survive. Digits are kept as they are (no verbalisation).
5. Runs of white space collapse to one space; leading/trailing space is removed.
"""

from __future__ import annotations

import re
import unicodedata

APOSTROPHE = "'"
APOSTROPHE_VARIANTS = "\u2019\u2018\u02bc\u2032`\u00b4"
# ISO 639-1/-3 codes (and CV locale prefixes) whose orthography has word-internal apostrophes.
APOSTROPHE_LANGS = frozenset(
    {"en", "fr", "it", "ca", "nl", "br", "oc", "lb", "co", "fur", "rm", "sc", "uk", "be",
     "eng", "fra", "ita", "cat", "nld", "bre", "oci", "ukr"}
)
TURKIC_DOTTED_I = frozenset({"tr", "az", "tur", "aze"})
_SPACES = re.compile(r"\s+")
_WORD_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")
_KEEP = "\x00"  # placeholder for a word-internal apostrophe while punctuation is removed


def base_lang(lang: str | None) -> str:
    """'en-US' / 'pt_BR' / 'sv-SE' -> 'en' / 'pt' / 'sv' (lower case)."""
    return (lang or "").replace("_", "-").split("-")[0].lower()


def _is_punct_or_symbol(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def _lower(text: str, lang: str) -> str:
    if lang in TURKIC_DOTTED_I:
        text = text.replace("I", "ı").replace("İ", "i")
    return text.lower()


def normalize(text: str, lang: str | None = None) -> str:
    """Normalise `text` for language `lang` (see the module docstring for the rules)."""
    lang = base_lang(lang)
    text = unicodedata.normalize("NFKC", text)
    for variant in APOSTROPHE_VARIANTS:
        text = text.replace(variant, APOSTROPHE)
    text = _lower(text, lang)
    if lang in APOSTROPHE_LANGS:
        text = _WORD_APOSTROPHE.sub(_KEEP, text)
    text = "".join(" " if _is_punct_or_symbol(ch) else ch for ch in text)
    text = text.replace(_KEEP, APOSTROPHE)
    return _SPACES.sub(" ", text).strip()


def describe_rules(lang: str | None = None) -> str:
    """One line that tells a user exactly what normalisation was applied (printed by score)."""
    lang = base_lang(lang)
    parts = ["NFKC", "lower-case (str.lower)", "punctuation/symbols -> space"]
    if lang in APOSTROPHE_LANGS:
        parts.append("word-internal apostrophes kept")
    if lang in TURKIC_DOTTED_I:
        parts.append("Turkic dotted/dotless i")
    parts.append("whitespace collapsed")
    return f"normalisation[{lang or 'any'}]: " + ", ".join(parts)
