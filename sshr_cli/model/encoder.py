"""The Hugging Face wav2vec2-family encoder under the SSHR model: loading, checking, preprocessing.

    encoder, feature_extractor = load_pretrained_encoder("facebook/mms-300m", config)
    encoder = encoder_from_config(folder)   # random weights shaped by a checkpoint's config.json
"""

from __future__ import annotations

from pathlib import Path

import torch

from .constants import CONFIG_FILE, HUB_ID, PREPROCESSOR_FILE, SAMPLE_RATE_HZ
from .configuration_sshr import encoder_config_dict
from .errors import ConfigError, HubError
from .fileio import read_json

# Encoders whose layers take (hidden_states, attention_mask) and nothing else, and their HF CTC class.
CTC_CLASS_BY_MODEL_TYPE = {"wav2vec2": "Wav2Vec2ForCTC", "hubert": "HubertForCTC",
                           "data2vec-audio": "Data2VecAudioForCTC"}
ATTN_IMPLEMENTATION = "sdpa"  # torch scaled_dot_product_attention; transformers falls back if unsupported
DEFAULT_FEATURE_EXTRACTOR = dict(feature_size=1, sampling_rate=SAMPLE_RATE_HZ, padding_value=0.0,
                                 do_normalize=True, return_attention_mask=True)


def check_encoder_config(ec) -> None:
    """Reject encoders whose layer structure the layer loop cannot drive, with a one-line ConfigError."""
    model_type = getattr(ec, "model_type", None)
    if model_type not in CTC_CLASS_BY_MODEL_TYPE:
        hint = " (WavLM layers take a relative position bias that the language frame would shift)" \
            if model_type == "wavlm" else ""
        raise ConfigError(f"encoder model_type '{model_type}' is not supported{hint}; use one of "
                          f"{', '.join(CTC_CLASS_BY_MODEL_TYPE)} (e.g. facebook/mms-300m)")
    if getattr(ec, "add_adapter", False):
        raise ConfigError("encoders with add_adapter=true (a conv adapter after the transformer) are not supported")


def load_pretrained_encoder(encoder_id_or_path: str | Path, config) -> tuple[object, dict]:
    """(encoder with pretrained weights, feature-extractor settings) from a Hub id or a folder;
    SpecAugment switched as `config` (an SSHRConfig) says."""
    from transformers import AutoConfig, AutoModel

    source = _encoder_source(encoder_id_or_path)
    try:
        ec = AutoConfig.from_pretrained(source)
    except (OSError, ValueError) as exc:
        raise HubError(f"cannot load encoder '{source}' ({_first_line(exc)}); give a Hub id "
                       "such as facebook/mms-300m or a folder with config.json") from exc
    check_encoder_config(ec)
    # masked_spec_embed exists only when masking is on at construction time
    ec.update(dict(mask_time_prob=config.mask_time_prob, mask_feature_prob=config.mask_feature_prob,
                   layerdrop=0.0))
    try:
        encoder, info = AutoModel.from_pretrained(source, config=ec, attn_implementation=ATTN_IMPLEMENTATION,
                                                  output_loading_info=True)
    except (OSError, ValueError) as exc:
        raise HubError(f"cannot load encoder weights from '{source}' ({_first_line(exc)})") from exc
    init_missing_mask_embedding(encoder, info.get("missing_keys", ()))
    return encoder, _feature_extractor_dict(source)


def _encoder_source(encoder_id_or_path: str | Path) -> str:
    """A folder (user home expanded) or a Hub id, as transformers' from_pretrained takes it."""
    source = str(encoder_id_or_path)
    if Path(source).expanduser().is_dir():
        return str(Path(source).expanduser())
    if not HUB_ID.match(source):
        raise HubError(f"encoder '{source}' is neither a folder nor a Hub id such as facebook/mms-300m")
    return source


def encoder_from_config(folder: Path):
    """A randomly initialised encoder shaped by config.json (the weights are loaded afterwards)."""
    from transformers import AutoConfig, AutoModel

    d = encoder_config_dict(read_json(Path(folder) / CONFIG_FILE, hint="expected an sshr checkpoint folder"))
    if d.get("model_type") not in CTC_CLASS_BY_MODEL_TYPE:
        check_encoder_config(type("Config", (), d))  # the one-line error for an unsupported encoder
    ec = AutoConfig.for_model(**d)
    check_encoder_config(ec)
    return AutoModel.from_config(ec, attn_implementation=ATTN_IMPLEMENTATION)


def enable_checkpointing(encoder) -> None:
    """Recompute each encoder layer in backward (transformers renamed the switch during 5.x)."""
    kwargs = {"use_reentrant": False}
    if hasattr(encoder, "activation_checkpointing_enable"):
        encoder.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:
        encoder.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)


def init_missing_mask_embedding(encoder, missing_keys) -> None:
    """A checkpoint saved without masking has no masked_spec_embed; some transformers 5.x releases
    (5.17 seen) leave the new parameter uninitialised (NaN losses), so draw it as HF's init does."""
    emb = getattr(encoder, "masked_spec_embed", None)
    if emb is not None and (any(k.endswith("masked_spec_embed") for k in missing_keys)
                            or not torch.isfinite(emb).all()):
        with torch.no_grad():
            emb.uniform_()


def _feature_extractor_dict(source: str) -> dict:
    """The encoder's preprocessor settings (normalisation), or wav2vec2's defaults if it has none."""
    from transformers import Wav2Vec2FeatureExtractor

    try:
        fe = Wav2Vec2FeatureExtractor.from_pretrained(source)
    except (OSError, ValueError):
        return dict(DEFAULT_FEATURE_EXTRACTOR)
    if fe.sampling_rate != SAMPLE_RATE_HZ:
        raise ConfigError(f"encoder '{source}' expects {fe.sampling_rate} Hz audio; sshr works at {SAMPLE_RATE_HZ} Hz")
    return {k: getattr(fe, k) for k in DEFAULT_FEATURE_EXTRACTOR}


def read_feature_extractor(folder: Path) -> dict:
    """A checkpoint's preprocessor settings (wav2vec2's defaults when it has no preprocessor file)."""
    path = folder / PREPROCESSOR_FILE
    if not path.is_file():
        return dict(DEFAULT_FEATURE_EXTRACTOR)
    d = read_json(path, hint="expected an sshr checkpoint folder")
    return {k: d[k] for k in DEFAULT_FEATURE_EXTRACTOR if k in d}


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(".")
