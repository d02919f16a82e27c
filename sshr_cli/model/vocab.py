"""The CTC target vocabulary: HF `Wav2Vec2CTCTokenizer`-compatible vocab.json.

Ids: 0 = blank/pad (`<pad>`), 1 = `<unk>`, 2 = word separator `|`, then units sorted.
Built from training units only; unseen units map to `<unk>` and are counted by the caller.
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


@dataclass(frozen=True)
class Vocab:
    tokens: tuple[str, ...]  # index = id

    @classmethod
    def build(cls, unit_sequences: Iterable[Sequence[str]]) -> "Vocab":
        seen = {u for units in unit_sequences for u in units}
        return cls(SPECIAL_TOKENS + tuple(sorted(seen - set(SPECIAL_TOKENS))))

    @classmethod
    def load(cls, path: str | Path) -> "Vocab":
        path = Path(path)
        if path.is_dir():
            path = path / VOCAB_FILE
        if not path.is_file():
            raise CheckpointError(f"no {VOCAB_FILE} at {path}; a checkpoint folder needs one")
        mapping = read_json(path)
        return cls.from_mapping(mapping, where=str(path))

    @classmethod
    def from_mapping(cls, mapping: dict[str, int], where: str = "vocab") -> "Vocab":
        ids = sorted(mapping.values())
        if ids != list(range(len(ids))):
            raise CheckpointError(f"{where}: ids must be 0..{len(ids) - 1} without gaps")
        tokens = tuple(sorted(mapping, key=mapping.__getitem__))
        if tokens[BLANK_ID] not in (BLANK_TOKEN, "[PAD]", "<blank>", "<s>"):
            raise CheckpointError(
                f"{where}: id {BLANK_ID} is {tokens[BLANK_ID]!r}; sshr expects the CTC blank "
                f"({BLANK_TOKEN!r}) at id {BLANK_ID}"
            )
        return cls(tokens)

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
        return self.tokens.index(WORD_SEPARATOR) if WORD_SEPARATOR in self.tokens else None

    def encode(self, units: Sequence[str]) -> list[int]:
        index = self._index()
        unk = self.unk_id
        return [index.get(u, unk) for u in units]

    def count_unknown(self, units: Sequence[str]) -> int:
        index = self._index()
        return sum(u not in index for u in units)

    def decode(self, ids: Sequence[int]) -> list[str]:
        return [self.tokens[i] for i in ids]

    def _index(self) -> dict[str, int]:
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = self.mapping()
            object.__setattr__(self, "_cache", cache)
        return cache
