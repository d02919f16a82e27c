"""The CTC target vocabulary: HF `Wav2Vec2CTCTokenizer`-compatible vocab.json.

Ids of a vocabulary sshr builds: 0 = blank/pad (`<pad>`), 1 = `<unk>`, 2 = word separator `|`, then
units sorted. Built from training units only; unseen units map to `<unk>` and are counted by the caller.

Any HF CTC checkpoint's vocabulary loads too (`Vocab.load(folder)`): the blank is the tokenizer's
pad token (config.json `pad_token_id`) wherever it sits (the HF fine-tuning blog puts `[PAD]`
last), the word delimiter is the tokenizer's, upper-case vocabularies (`do_lower_case`) decode
to lower-case units, and MMS-style vocab.json files keyed by language take `lang=`.
`decode()` gives units in sshr's spelling: the separator as `|`, letters as the text normaliser
writes them.
sshr_cli.text.vocab re-exports it (prepare builds the vocabulary; the model saves and loads it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .constants import BLANK_ID, BLANK_TOKEN, UNK_TOKEN, VOCAB_FILE, WORD_SEPARATOR
from .errors import CheckpointError
from .fileio import read_json, write_json

SPECIAL_TOKENS = (BLANK_TOKEN, UNK_TOKEN, WORD_SEPARATOR)
BLANK_NAMES = (BLANK_TOKEN, "[PAD]", "<blank>", "<s>")  # what a CTC blank is called at id 0
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
SPECIAL_TOKENS_FILE = "special_tokens_map.json"


@dataclass(frozen=True)
class Vocab:
    tokens: tuple[str, ...]  # index = id, as vocab.json spells them
    blank_id: int = BLANK_ID  # the CTC blank (the tokenizer's pad token)
    separator: str = WORD_SEPARATOR  # the word delimiter token
    upper_case: bool = False  # letters spelled in upper case (HF do_lower_case); units come out lower-case

    @classmethod
    def build(cls, unit_sequences: Iterable[Sequence[str]]) -> "Vocab":
        seen = {u for units in unit_sequences for u in units}
        return cls(SPECIAL_TOKENS + tuple(sorted(seen - set(SPECIAL_TOKENS))))

    @classmethod
    def load(cls, path: str | Path, lang: str | None = None) -> "Vocab":
        """vocab.json (a file, or a checkpoint folder whose tokenizer files and config.json say
        which token is the blank and which the word delimiter); `lang` picks one language of an
        MMS-style vocab.json keyed by language."""
        path = Path(path)
        folder = path if path.is_dir() else None
        if folder is not None:
            path = path / VOCAB_FILE
        if not path.is_file():
            raise CheckpointError(f"no {VOCAB_FILE} at {path}; a checkpoint folder needs one")
        mapping = read_json(path)
        where = str(path)
        if vocab_languages(mapping):
            mapping, where = _one_language(mapping, lang, path), f"{path} [{lang}]"
        return cls.from_mapping(mapping, where=where, **(_tokenizer_facts(folder) if folder else {}))

    @classmethod
    def from_mapping(cls, mapping: dict[str, int], where: str = "vocab", pad_token: str | None = None,
                     pad_token_id: int | None = None, separator: str | None = None,
                     upper_case: bool | None = None) -> "Vocab":
        """The blank is `pad_token` (by name), else `pad_token_id`, else a blank-named token at id 0."""
        ids = sorted(mapping.values())
        if ids != list(range(len(ids))):
            raise CheckpointError(f"{where}: ids must be 0..{len(ids) - 1} without gaps")
        tokens = tuple(sorted(mapping, key=mapping.__getitem__))
        blank = _blank_id(tokens, pad_token, pad_token_id, where)
        letters = [c for t in tokens if len(t) == 1 and t.isalpha() and t.lower() != t.upper() for c in t]
        if upper_case is None:
            upper_case = bool(letters) and all(c.isupper() for c in letters)
        return cls(tokens, blank, separator or WORD_SEPARATOR, bool(upper_case))

    def save(self, path: str | Path) -> None:
        write_json(path, self.mapping())

    def mapping(self) -> dict[str, int]:
        return {tok: i for i, tok in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def unk_id(self) -> int:
        return self.tokens.index(UNK_TOKEN) if UNK_TOKEN in self.tokens else self.tokens.index("[UNK]")

    @property
    def separator_id(self) -> int | None:
        return self.tokens.index(self.separator) if self.separator in self.tokens else None

    @property
    def units(self) -> tuple[str, ...]:
        """Each id's unit in sshr's spelling: the word delimiter as `|`, letters lower-cased when
        the vocabulary spells them upper-case; special tokens unchanged."""
        cache = self.__dict__.get("_units")
        if cache is None:
            special = {self.tokens[self.blank_id], UNK_TOKEN, "[UNK]"}
            cache = tuple(WORD_SEPARATOR if t == self.separator else
                          t.lower() if self.upper_case and t not in special else t for t in self.tokens)
            object.__setattr__(self, "_units", cache)
        return cache

    def encode(self, units: Sequence[str]) -> list[int]:
        index = self._index()
        unk = self.unk_id
        return [index.get(u, unk) for u in units]

    def count_unknown(self, units: Sequence[str]) -> int:
        index = self._index()
        return sum(u not in index for u in units)

    def decode(self, ids: Sequence[int]) -> list[str]:
        """Ids -> units in sshr's spelling (see `units`)."""
        units = self.units
        return [units[i] for i in ids]

    def _index(self) -> dict[str, int]:
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = self.mapping()
            object.__setattr__(self, "_cache", cache)
        return cache


def vocab_languages(mapping: dict) -> tuple[str, ...]:
    """The languages of an MMS-style vocab.json ({lang: {token: id}}); () for a flat one."""
    if mapping and all(isinstance(v, dict) for v in mapping.values()):
        return tuple(sorted(mapping))
    return ()


def _one_language(mapping: dict, lang: str | None, path: Path) -> dict:
    langs = vocab_languages(mapping)
    if lang not in mapping:
        shown = ", ".join(langs[:40]) + (f", ... ({len(langs)} in all)" if len(langs) > 40 else "")
        what = "needs" if lang is None else f"has no language {lang!r}; it needs"
        raise CheckpointError(f"{path} is a multi-language vocabulary: it {what} --lang, one of: {shown}")
    return mapping[lang]


def _blank_id(tokens: tuple[str, ...], pad_token, pad_token_id, where: str) -> int:
    if pad_token is not None and pad_token in tokens:
        return tokens.index(pad_token)
    if pad_token_id is not None and 0 <= pad_token_id < len(tokens):
        return int(pad_token_id)
    if tokens and tokens[BLANK_ID] in BLANK_NAMES:
        return BLANK_ID
    named = [i for i, t in enumerate(tokens) if t in BLANK_NAMES]
    if len(named) == 1:
        return named[0]
    raise CheckpointError(f"{where}: cannot tell which token is the CTC blank (id {BLANK_ID} is {tokens[BLANK_ID]!r}); "
                          f"save the tokenizer with the checkpoint (pad_token) or set pad_token_id in config.json")


def _tokenizer_facts(folder: Path) -> dict:
    """pad token (by name and id), word delimiter and do_lower_case from a checkpoint's tokenizer
    files and config.json; only what they record."""
    facts: dict = {}
    config = folder / "config.json"
    if config.is_file():
        raw = read_json(config)
        if isinstance(raw.get("pad_token_id"), int):
            facts["pad_token_id"] = raw["pad_token_id"]
    for name in (SPECIAL_TOKENS_FILE, TOKENIZER_CONFIG_FILE):
        path = folder / name
        raw = read_json(path) if path.is_file() else {}
        pad = raw.get("pad_token")
        pad = pad.get("content") if isinstance(pad, dict) else pad
        if isinstance(pad, str):
            facts["pad_token"] = pad
        if isinstance(raw.get("word_delimiter_token"), str):
            facts["separator"] = raw["word_delimiter_token"]
        if "do_lower_case" in raw:
            facts["upper_case"] = bool(raw["do_lower_case"]) or None  # False: let the letters decide
    return facts
