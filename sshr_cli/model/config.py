"""The SSHR model's options: one frozen dataclass, saved in every checkpoint's config.json.

Layer numbers count from 1 (layer 1 is the first transformer layer of the encoder), like the
paper. No torch import here, so recipes and the CLI can build and check configs cheaply.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from .errors import ConfigError

ARCHS = ("sshr", "ctc")
LID_SOURCES = ("pooled", "top")  # what the LID head reads: the pooled frame at lid_layer, or that frame after the last kept layer
# The fields only the SSHR architecture uses, each with the value that turns its part off: what
# arch="ctc" (the plain HF baseline) runs with, whatever the config says (see SSHRConfig.effective).
SSHR_ONLY_OFF = dict(lid_layer=None, num_layers=None, replace_final_layers=0, cross_ctc_layers=(),
                     share_ctc_head=True, lid_weight=0.0, inter_ctc_weight=0.0, cross_attention_heads=None)


@dataclass(frozen=True)
class SSHRConfig:
    arch: str = "sshr"  # "sshr" | "ctc" (encoder + dropout + linear head, exactly HF Wav2Vec2ForCTC)
    lid_layer: int | None = 8  # pool this layer's output into a prepended language frame; None = off
    num_layers: int | None = 22  # keep the first N encoder layers; None = all
    replace_final_layers: int = 0  # re-initialise the last K kept layers
    cross_ctc_layers: tuple[int, ...] = (18, 20, 22)  # Cross-CTC after these layers (ascending)
    cross_ctc_last_layer: bool = True  # False: the last kept layer is left out of cross_ctc_layers (its
    #   intermediate CTC loss nearly duplicates the final one)
    share_ctc_head: bool = True  # intermediate CTC heads share the final head's weights
    lid_weight: float = 0.1  # weight of the LID cross-entropy; 0 = no LID loss (the paper's loss)
    lid_from: str = "pooled"  # LID head input: "pooled" (the frame at lid_layer) | "top" (it after the last kept layer)
    inter_ctc_weight: float = 0.3  # w in (1-w)*CTC_final + w*mean(CTC_inter)
    cross_attention_heads: int | None = None  # None = the encoder's attention heads
    final_dropout: float = 0.1  # dropout before every CTC head (HF's final_dropout)
    languages: tuple[str, ...] = ()  # LID classes, in id order; () = no LID head
    mask_time_prob: float = 0.05  # SpecAugment, as HF Wav2Vec2 (training only)
    mask_time_length: int = 10  # frames (20 ms each)
    mask_feature_prob: float = 0.0
    mask_feature_length: int = 10  # channels
    freeze_feature_encoder: bool = True  # the conv feature encoder gets no gradient
    gradient_checkpointing: bool = False  # recompute encoder layers in backward (less memory)

    def __post_init__(self):
        for name in ("cross_ctc_layers", "languages"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                raise ConfigError(f"model.{name} must be a list, got {value!r}")
            object.__setattr__(self, name, tuple(value))
        self._check_values()

    def _check_values(self) -> None:
        if self.arch not in ARCHS:
            raise ConfigError(f"model.arch must be one of {', '.join(ARCHS)}; got {self.arch!r}")
        if self.lid_from not in LID_SOURCES:
            raise ConfigError(f"model.lid_from must be one of {', '.join(LID_SOURCES)}; got {self.lid_from!r}")
        for name in ("lid_weight", "final_dropout", "mask_time_prob", "mask_feature_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"model.{name} must be in [0, 1]; got {getattr(self, name)}")
        if not 0.0 <= self.inter_ctc_weight < 1.0:
            raise ConfigError(f"model.inter_ctc_weight must be in [0, 1); got {self.inter_ctc_weight}")
        for name in ("mask_time_length", "mask_feature_length"):
            if getattr(self, name) < 1:
                raise ConfigError(f"model.{name} must be >= 1; got {getattr(self, name)}")
        if self.replace_final_layers < 0:
            raise ConfigError(f"model.replace_final_layers must be >= 0; got {self.replace_final_layers}")
        if len(set(self.languages)) != len(self.languages):
            raise ConfigError(f"model.languages has duplicates: {list(self.languages)}")

    @property
    def is_sshr(self) -> bool:
        return self.arch == "sshr"

    def effective(self) -> "SSHRConfig":
        """The config the model runs: itself for arch=sshr; for arch=ctc, every SSHR-only part off."""
        return self if self.is_sshr else replace(self, **SSHR_ONLY_OFF)

    def kept_layers(self, encoder_layers: int) -> int:
        """How many encoder layers the model keeps (arch=ctc keeps them all)."""
        num_layers = self.effective().num_layers
        return encoder_layers if num_layers is None else num_layers

    def cross_layers(self, encoder_layers: int) -> tuple[int, ...]:
        """The layers Cross-CTC runs after: cross_ctc_layers, less the last kept one when
        cross_ctc_last_layer is False."""
        layers = self.effective().cross_ctc_layers
        kept = self.kept_layers(encoder_layers)
        return layers if self.cross_ctc_last_layer else tuple(n for n in layers if n != kept)

    def validate(self, encoder_layers: int, hidden_size: int, encoder_heads: int) -> "SSHRConfig":
        """Check the layer numbers against a concrete encoder; raise a one-line ConfigError.
        Only the fields the architecture uses are checked (see effective)."""
        self.effective()._check_layers(encoder_layers, hidden_size, encoder_heads)
        return self

    def _check_layers(self, encoder_layers: int, hidden_size: int, encoder_heads: int) -> None:
        kept = self.kept_layers(encoder_layers)
        if not 1 <= kept <= encoder_layers:
            raise ConfigError(f"model.num_layers={self.num_layers}, but the encoder has {encoder_layers} layers; "
                              f"use 1..{encoder_layers} (or null for all)")
        if self.lid_layer is not None and not 1 <= self.lid_layer < kept:
            raise ConfigError(f"model.lid_layer={self.lid_layer} must be in 1..{kept - 1} (below the {kept} kept "
                              "layers); or null to turn the language frame off")
        layers = self.cross_ctc_layers
        if list(layers) != sorted(set(layers)) or any(not 1 <= n <= kept for n in layers):
            raise ConfigError(f"model.cross_ctc_layers={list(layers)} must be ascending, distinct, within 1..{kept} "
                              f"(the kept layers); e.g. {[n for n in (kept - 4, kept - 2, kept) if n >= 1]}")
        if self.replace_final_layers > kept:
            raise ConfigError(f"model.replace_final_layers={self.replace_final_layers} exceeds the {kept} kept layers")
        heads = self.cross_attention_heads or encoder_heads
        if heads < 1 or hidden_size % heads:
            raise ConfigError(f"model.cross_attention_heads={heads} must divide the encoder hidden size {hidden_size}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["cross_ctc_layers"] = list(self.cross_ctc_layers)
        d["languages"] = list(self.languages)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "SSHRConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown model option(s) {unknown}; known: {sorted(known)}")
        return cls(**d)


def padding_sensitive(encoder_config) -> bool:
    """True for encoders whose first conv layer is GroupNorm'd over time (wav2vec2-base style, and
    sshr's tiny filterbank encoder): the statistics include zero padding, so an utterance's output
    depends on what it is batched with. So is data2vec-audio: its positional embedding is a stack of
    convolutions, and the second one mixes the first one's output on padding frames into the last
    valid frames. MMS-300M ("layer" norm) is not."""
    if getattr(encoder_config, "model_type", None) == "data2vec-audio":
        return True
    return getattr(encoder_config, "feat_extract_norm", "layer") == "group"
