"""The transformers configuration of an SSHR checkpoint: config.json with model_type "sshr".

    config.json = {"model_type": "sshr", "auto_map": {...}, "encoder": {the HF encoder config},
                   "sshr": {SSHRConfig}, "sshr_versions": {...}, "vocab_size": V, "pad_token_id": 0}

This file travels inside every arch=sshr checkpoint folder, next to modeling_sshr.py, so that
`AutoModelForCTC.from_pretrained(folder, trust_remote_code=True)` builds the model sshr runs
(config.json's auto_map names both). Imports: transformers and this package's files only.
"""

from __future__ import annotations

from transformers import AutoConfig, PretrainedConfig

from .constants import BLANK_ID, ENCODER_FRAME_STRIDE_S, SAMPLE_RATE_HZ, SSHR_CONFIG_KEY, VERSIONS_KEY

MODEL_TYPE = "sshr"  # config.json "model_type" of an arch=sshr checkpoint
ENCODER_KEY = "encoder"  # config.json: the HF encoder config (wav2vec2 / hubert / data2vec-audio)
AUTO_MAP = {"AutoConfig": "configuration_sshr.SSHRPretrainedConfig",
            "AutoModelForCTC": "modeling_sshr.SSHRModelForCTC"}
TOKENIZER_CLASS = "Wav2Vec2CTCTokenizer"  # what the pipeline loads for the vocabulary


class SSHRPretrainedConfig(PretrainedConfig):
    model_type = MODEL_TYPE

    def __init__(self, encoder: dict | None = None, sshr: dict | None = None, vocab_size: int = 0,
                 pad_token_id: int = BLANK_ID, **kwargs):
        kwargs.setdefault("tokenizer_class", TOKENIZER_CLASS)
        super().__init__(pad_token_id=pad_token_id, **kwargs)
        self.encoder = dict(encoder or {})
        setattr(self, SSHR_CONFIG_KEY, dict(sshr or {}))
        self.vocab_size = vocab_size

    def encoder_config(self):
        """The encoder's own HF config (Wav2Vec2Config, HubertConfig, Data2VecAudioConfig)."""
        return AutoConfig.for_model(**self.encoder)

    @property
    def inputs_to_logits_ratio(self) -> int:
        """Samples per output frame (the pipeline's timestamps and chunking read it)."""
        ratio = 1
        for stride in self.encoder.get("conv_stride") or ():
            ratio *= stride
        return ratio or int(ENCODER_FRAME_STRIDE_S * SAMPLE_RATE_HZ)


def encoder_config_dict(raw: dict) -> dict:
    """The encoder's HF config inside a checkpoint's config.json, in either layout."""
    if raw.get("model_type") == MODEL_TYPE:
        return dict(raw[ENCODER_KEY])
    return {k: v for k, v in raw.items() if k not in (SSHR_CONFIG_KEY, VERSIONS_KEY, "architectures")}
