"""Language codes -> English names, for lines people read ("Detected language: German (0.97)").

`langcodes` (with its `language_data`) names any code when it is installed; otherwise a table
of the Common Voice / ML-SUPERB languages sshr recipes use, by ISO 639-1 and 639-3 code;
otherwise the code itself. A region or script suffix (pt-BR, zh-CN, sr_Latn) is kept as is.
"""

from __future__ import annotations

LANGUAGE_NAMES = {
    "ar": "Arabic", "ara": "Arabic", "be": "Belarusian", "bel": "Belarusian", "bn": "Bengali", "ben": "Bengali",
    "ca": "Catalan", "cat": "Catalan", "cs": "Czech", "ces": "Czech", "cy": "Welsh", "cym": "Welsh",
    "da": "Danish", "dan": "Danish", "de": "German", "deu": "German", "el": "Greek", "ell": "Greek",
    "en": "English", "eng": "English", "eo": "Esperanto", "epo": "Esperanto", "es": "Spanish", "spa": "Spanish",
    "et": "Estonian", "est": "Estonian", "eu": "Basque", "eus": "Basque", "fa": "Persian", "fas": "Persian",
    "fi": "Finnish", "fin": "Finnish", "fr": "French", "fra": "French", "ga": "Irish", "gle": "Irish",
    "gl": "Galician", "glg": "Galician", "hi": "Hindi", "hin": "Hindi", "hu": "Hungarian", "hun": "Hungarian",
    "id": "Indonesian", "ind": "Indonesian", "it": "Italian", "ita": "Italian", "ja": "Japanese", "jpn": "Japanese",
    "ka": "Georgian", "kat": "Georgian", "ko": "Korean", "kor": "Korean", "lt": "Lithuanian", "lit": "Lithuanian",
    "lv": "Latvian", "lav": "Latvian", "mt": "Maltese", "mlt": "Maltese", "nl": "Dutch", "nld": "Dutch",
    "no": "Norwegian", "nor": "Norwegian", "pl": "Polish", "pol": "Polish", "pt": "Portuguese", "por": "Portuguese",
    "ro": "Romanian", "ron": "Romanian", "ru": "Russian", "rus": "Russian", "rw": "Kinyarwanda", "kin": "Kinyarwanda",
    "sk": "Slovak", "slk": "Slovak", "sl": "Slovenian", "slv": "Slovenian", "sv": "Swedish", "swe": "Swedish",
    "sw": "Swahili", "swa": "Swahili", "ta": "Tamil", "tam": "Tamil", "th": "Thai", "tha": "Thai",
    "tr": "Turkish", "tur": "Turkish", "uk": "Ukrainian", "ukr": "Ukrainian", "ur": "Urdu", "urd": "Urdu",
    "vi": "Vietnamese", "vie": "Vietnamese", "zh": "Chinese", "zho": "Chinese", "cmn": "Mandarin Chinese",
    "yue": "Cantonese",
}


def language_name(code: str) -> str:
    """'de' -> 'German', 'deu' -> 'German', 'pt-BR' -> 'Portuguese (Brazil)' with langcodes, else
    'Portuguese (pt-BR)'; an unknown code comes back as it is."""
    name = _langcodes_name(code)
    if name:
        return name
    base = code.replace("_", "-").split("-")[0].lower()
    known = LANGUAGE_NAMES.get(base)
    if known is None:
        return code
    return known if base == code.lower() else f"{known} ({code})"


def _langcodes_name(code: str) -> str | None:
    try:
        import langcodes

        language = langcodes.Language.get(code)
        name = language.display_name() if language.is_valid() else None
    except Exception:  # noqa: BLE001 - not installed, no language_data, or a code it cannot parse
        return None
    return name if name and not name.lower().startswith("unknown") else None
