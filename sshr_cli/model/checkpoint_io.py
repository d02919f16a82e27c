"""An sshr checkpoint folder, HF save_pretrained style: what is written and how it is read back.

    config.json              the encoder's HF config + "sshr" (SSHRConfig) + "sshr_versions"
    model.safetensors        every weight (state-dict keys match HF *ForCTC for the encoder and lm_head)
    vocab.json, tokenizer files, preprocessor_config.json   as Wav2Vec2Processor writes them
"""

from __future__ import annotations

from pathlib import Path

import torch

from .config import SSHRConfig
from .constants import BLANK_ID, CONFIG_FILE, SSHR_CONFIG_KEY, VERSION, VERSIONS_KEY, VOCAB_FILE, WEIGHTS_FILE
from .encoder import CTC_CLASS_BY_MODEL_TYPE
from .errors import CheckpointError, ConfigError
from .fileio import read_json, write_json
from .vocab import Vocab

SSHR_ARCHITECTURE = "SSHRForCTC"  # config.json "architectures" of an arch=sshr checkpoint


def versions() -> dict[str, str]:
    import transformers

    return {"sshr": VERSION, "torch": torch.__version__, "transformers": transformers.__version__}


def config_dict(encoder_config, config: SSHRConfig) -> dict:
    """config.json: the encoder config, our SSHR config and the versions used."""
    d = encoder_config.to_dict()
    d.pop("_name_or_path", None)
    ctc = CTC_CLASS_BY_MODEL_TYPE[encoder_config.model_type]
    d["architectures"] = [SSHR_ARCHITECTURE] if config.is_sshr else [ctc]
    d[SSHR_CONFIG_KEY] = config.to_dict()
    d[VERSIONS_KEY] = versions()
    return d


def write_checkpoint(model, folder: Path, extra: dict | None = None) -> None:
    """config.json, weights, processor files and `extra` ({file name: str | bytes | dict | list})."""
    from safetensors.torch import save_file

    write_json(folder / CONFIG_FILE, model.config_dict())
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_FILE), metadata={"format": "pt"})
    _save_processor(folder, model.vocab, model.feature_extractor_config)
    for name, content in (extra or {}).items():
        _write_extra(folder / name, content)


def read_checkpoint(folder: Path) -> tuple[SSHRConfig, Vocab, Path]:
    """(config, vocab, weights file) of an sshr checkpoint folder, checked against each other."""
    raw = read_json(folder / CONFIG_FILE, hint="expected an sshr checkpoint folder")
    if SSHR_CONFIG_KEY not in raw:
        raise CheckpointError(f"{folder}/{CONFIG_FILE} has no '{SSHR_CONFIG_KEY}' section: not an sshr checkpoint "
                              "(HF *ForCTC folders load with sshr_cli.hub.load_recognizer)")
    config = SSHRConfig.from_dict(raw[SSHR_CONFIG_KEY])
    vocab = Vocab.load(folder)
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        raise CheckpointError(f"{folder} has no {WEIGHTS_FILE}; the checkpoint is incomplete")
    _check_head_size(weights, vocab, folder)
    return config, vocab, weights


def load_weights(model, weights: Path) -> None:
    """Every weight of `model` from the safetensors file; a one-line error on any mismatch."""
    from safetensors.torch import load_file

    missing, unexpected = model.load_state_dict(load_file(str(weights)), strict=False)
    if missing or unexpected:
        raise CheckpointError(f"{weights}: weights do not match the config (missing {missing[:3]}, "
                              f"unexpected {unexpected[:3]}); was it written by another sshr version?")


def _check_head_size(weights: Path, vocab: Vocab, folder: Path) -> None:
    from safetensors import safe_open

    with safe_open(str(weights), framework="pt") as f:
        if "lm_head.weight" not in f.keys():
            raise CheckpointError(f"{weights} has no lm_head.weight; not a CTC checkpoint")
        outputs = f.get_slice("lm_head.weight").get_shape()[0]
    if outputs != len(vocab):
        raise CheckpointError(f"{folder}: {VOCAB_FILE} has {len(vocab)} tokens (blank '{vocab.tokens[BLANK_ID]}' at "
                              f"id {BLANK_ID}) but the CTC head has {outputs} outputs; use the {VOCAB_FILE} it was "
                              "trained with")


def _save_processor(folder: Path, vocab: Vocab, feature_extractor: dict) -> None:
    """vocab.json + tokenizer files + preprocessor_config.json, as Wav2Vec2Processor writes them."""
    from transformers import Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor

    vocab.save(folder / VOCAB_FILE)
    special = dict(pad_token=vocab.tokens[BLANK_ID], unk_token=vocab.tokens[vocab.unk_id])
    if vocab.separator_id is not None:
        special["word_delimiter_token"] = vocab.tokens[vocab.separator_id]
    Wav2Vec2CTCTokenizer(str(folder / VOCAB_FILE), **special).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(**feature_extractor).save_pretrained(folder)


def _write_extra(path: Path, content) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif isinstance(content, (dict, list)):
        write_json(path, content)
    else:
        raise ConfigError(f"save_pretrained extra '{path.name}': expected str, bytes, dict or list")
