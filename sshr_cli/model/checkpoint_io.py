"""An sshr checkpoint folder, HF save_pretrained style: what is written and how it is read back.

    config.json              arch=sshr: model_type "sshr", auto_map, "encoder" (the encoder's HF config),
                             "sshr" (SSHRConfig), "sshr_versions" (configuration_sshr.py);
                             arch=ctc: the encoder's HF config (a plain *ForCTC) + "sshr" + "sshr_versions"
    model.safetensors        every weight (state-dict keys match HF *ForCTC for the encoder and lm_head)
    vocab.json, tokenizer files, preprocessor_config.json   as Wav2Vec2Processor writes them
    *.py                     arch=sshr: this package's files that modeling_sshr.py needs, so that
                             transformers loads the model with trust_remote_code=True

Checkpoints written before model_type "sshr" (the encoder's config at the top level, model_type
wav2vec2 and an "sshr" section) still load: encoder_config_dict reads both layouts.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch

from .config import SSHRConfig
from .configuration_sshr import AUTO_MAP, SSHRPretrainedConfig
from .constants import BLANK_ID, CONFIG_FILE, SSHR_CONFIG_KEY, VERSION, VERSIONS_KEY, VOCAB_FILE, WEIGHTS_FILE
from .encoder import CTC_CLASS_BY_MODEL_TYPE
from .errors import CheckpointError, ConfigError
from .fileio import read_json, write_json
from .vocab import Vocab

SSHR_ARCHITECTURE = "SSHRModelForCTC"  # config.json "architectures" of an arch=sshr checkpoint (modeling_sshr.py)
MODELING_FILE = "modeling_sshr.py"  # auto_map's entry point; it and its relative imports travel with the weights
_RELATIVE_IMPORT = re.compile(r"^\s*from\s+\.(\w+)\s+import", re.MULTILINE)  # what transformers follows


def versions() -> dict[str, str]:
    import transformers

    return {"sshr": VERSION, "torch": torch.__version__, "transformers": transformers.__version__}


def config_dict(encoder_config, config: SSHRConfig) -> dict:
    """config.json: arch=sshr in its own model_type (the encoder config nested), arch=ctc as the
    encoder's plain *ForCTC config; both with our SSHR config and the versions used."""
    d = encoder_config.to_dict()
    d.pop("_name_or_path", None)
    if not config.is_sshr:
        d["architectures"] = [CTC_CLASS_BY_MODEL_TYPE[encoder_config.model_type]]
        return {**d, SSHR_CONFIG_KEY: config.to_dict(), VERSIONS_KEY: versions()}
    d.pop("architectures", None)
    hf = SSHRPretrainedConfig(encoder=d, sshr=config.to_dict(), vocab_size=d["vocab_size"],
                              architectures=[SSHR_ARCHITECTURE], auto_map=dict(AUTO_MAP))
    return {**hf.to_dict(), VERSIONS_KEY: versions()}


def carried_files() -> list[Path]:
    """modeling_sshr.py and every file of this package it imports, directly or not (relative
    imports, as transformers follows them): the model's code inside a checkpoint folder."""
    here = Path(__file__).parent
    todo, seen = [here / MODELING_FILE], {}
    while todo:
        path = todo.pop()
        if path.name not in seen:
            seen[path.name] = path
            text = path.read_text(encoding="utf-8")
            todo += [here / f"{name}.py" for name in _RELATIVE_IMPORT.findall(text)]
    return sorted(seen.values())


def write_checkpoint(model, folder: Path, extra: dict | None = None) -> None:
    """config.json, weights, processor files and `extra` ({file name: str | bytes | dict | list})."""
    from safetensors.torch import save_file

    write_json(folder / CONFIG_FILE, model.config_dict())
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_FILE), metadata={"format": "pt"})
    _save_processor(folder, model.vocab, model.feature_extractor_config)
    if model.sshr_config.is_sshr:
        for path in carried_files():
            (folder / path.name).write_bytes(path.read_bytes())
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
