"""Hugging Face *ForCTC checkpoints (wav2vec2, HuBERT, data2vec-audio), MMS adapters included.

An MMS multi-language folder (as facebook/mms-1b-all is laid out) holds vocab.json keyed by
language and one adapter.<lang>.safetensors per language; transformers loads a language's adapter
weights and resizes the CTC head when `target_lang` is given.
"""

from __future__ import annotations

from pathlib import Path

from .constants import VOCAB_FILE
from .errors import CheckpointError
from .fileio import read_json
from .vocab import vocab_languages

ADAPTER_GLOB = "adapter.*.safetensors"  # transformers' WAV2VEC2_ADAPTER_SAFE_FILE with the language filled in


def is_multilingual(folder: Path) -> bool:
    """vocab.json keyed by language (MMS)."""
    path = Path(folder) / VOCAB_FILE
    return path.is_file() and bool(vocab_languages(read_json(path)))


def adapter_languages(folder: Path) -> tuple[str, ...]:
    return tuple(sorted(p.name.split(".")[1] for p in Path(folder).glob(ADAPTER_GLOB)))


def load_hf_ctc_model(folder: Path, lang: str | None = None):
    """AutoModelForCTC from a folder; for an MMS folder, with `lang`'s adapter and head loaded."""
    from transformers import AutoModelForCTC

    if not is_multilingual(folder):
        return AutoModelForCTC.from_pretrained(folder)
    if lang not in adapter_languages(folder):
        raise CheckpointError(f"{folder} has no adapter.{lang}.safetensors; adapters: "
                              f"{', '.join(adapter_languages(folder)) or 'none'}")
    return AutoModelForCTC.from_pretrained(folder, target_lang=lang, ignore_mismatched_sizes=True)
