"""One inference interface over every checkpoint kind sshr reads.

    rec = load_checkpoint(folder, device="cpu")   # a checkpoint folder (sshr or HF *ForCTC)
    out = rec([wave_16k_a, wave_16k_b])     # list of float32 mono numpy arrays at 16 kHz
    out.log_probs  # [B, T, V] float32 log-softmax over rec.vocab
    out.lengths    # [B] valid frames per utterance
    out.lid_probs  # [B, len(rec.languages)] or None (plain CTC checkpoints have no LID head)

Kinds: an sshr checkpoint folder (config.json carries an "sshr" section), or any HF `*ForCTC`
folder with its vocab.json (e.g. written by the HF example script). A run folder (exp/NAME) or a
Hub id is resolved to such a folder a layer up: sshr_cli.hub.load_recognizer.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .config import padding_sensitive
from .constants import (CONFIG_FILE, ENCODER_FRAME_STRIDE_S, PRECISIONS, PREPROCESSOR_FILE, PROCESSOR_FILE,
                        RECEPTIVE_FIELD_SAMPLES, SAMPLE_RATE_HZ, SSHR_CONFIG_KEY)
from .errors import CheckpointError, ConfigError
from .precision import precision_context, resolve_precision
from .fileio import read_json
from .hf_ctc import is_multilingual, load_hf_ctc_model
from .vocab import Vocab


@dataclass
class RecognizerOutput:
    log_probs: "torch.Tensor"  # noqa: F821  [B, T, V]
    lengths: "torch.Tensor"  # noqa: F821  [B]
    lid_probs: "torch.Tensor | None" = None  # noqa: F821  [B, n_langs]


@dataclass
class Recognizer:
    model: object  # torch.nn.Module
    vocab: Vocab
    kind: str  # "sshr" | "hf-ctc"
    source: str  # the path or id it was loaded from
    languages: tuple[str, ...] = ()
    do_normalize: bool = True
    device: str = "cpu"
    frame_stride_s: float = ENCODER_FRAME_STRIDE_S
    meta: dict = field(default_factory=dict)  # checkpoint config, for json outputs and cards
    folder: Path | None = None  # the checkpoint folder it was loaded from (LM unigrams, cards)
    quantized: bool = False  # encoder Linear layers made int8 in memory (model/precision.py)
    forced_language: str | None = None  # set by force_language: the stored frame replaces the pooled one

    @property
    def has_language_frame(self) -> bool:
        """An sshr checkpoint whose model prepends a language frame (what --lang can force)."""
        return self.kind == "sshr" and self.model.effective_config.lid_layer is not None

    def force_language(self, lang: str | None) -> None:
        """Decode as `lang`: its stored mean language frame (language_frames.json) replaces the pooled
        frame in every later call; None pools again. One-line errors: no frame, no stored frames,
        a language the checkpoint has no frame for."""
        from .frames import stored_frame

        if lang is not None and not self.has_language_frame:
            raise ConfigError(f"--lang {lang}: {self.source} has no language frame to force "
                              "(an sshr checkpoint with model.lid_layer set has one)")
        self.model.force_language_frame(None if lang is None else stored_frame(self.folder, lang))
        self.forced_language = lang

    def batch(self, waves: Sequence[np.ndarray]):
        """Zero-pad to the longest wave; per-utterance mean/variance normalisation over valid samples."""
        return pad_batch(waves, self.do_normalize, self.device)

    def __call__(self, waves: Sequence[np.ndarray], precision: str = "fp32") -> RecognizerOutput:
        """Forward pass at `precision` (model/precision.py: autocast on GPU; int8 or bf16 on CPU).
        Encoders whose output depends on padding (GroupNorm over time) run one wave at a time."""
        if len(waves) > 1 and self.padding_sensitive:
            return _concat([self(waves[i : i + 1], precision) for i in range(len(waves))])
        return self._forward(waves, precision)

    def precision_used(self, precision: str) -> str:
        """What `precision` runs as here (model/precision.py); a ConfigError when it cannot."""
        return resolve_precision(precision, self.device)

    @property
    def min_samples(self) -> int:
        """Samples the conv feature encoder needs for one frame (400 for wav2vec2/MMS, 1040 for the
        tiny filterbank encoder): k0 + sum over later layers of (k_i - 1) x the stride before it."""
        config = self._encoder_config()
        kernels, strides = getattr(config, "conv_kernel", None), getattr(config, "conv_stride", None)
        if not kernels or not strides:
            return RECEPTIVE_FIELD_SAMPLES
        field, hop = kernels[0], strides[0]
        for k, s in zip(kernels[1:], strides[1:]):
            field, hop = field + (k - 1) * hop, hop * s
        return field

    @property
    def padding_sensitive(self) -> bool:
        """GroupNorm over time in the first conv layer: statistics that include the padding."""
        return padding_sensitive(self._encoder_config())

    def _encoder_config(self):
        """The encoder's HF config (an sshr model's encoder_config, an HF *ForCTC's config)."""
        return getattr(self.model, "encoder_config", None) or getattr(self.model, "config", None)

    def _forward(self, waves: Sequence[np.ndarray], precision: str) -> RecognizerOutput:
        import torch

        x, mask = self.batch(waves)
        with torch.inference_mode(), precision_context(self, precision), attention_backends(self.device):
            if self.kind == "sshr":
                out = self.model(input_values=x, attention_mask=mask)
                lid = out.lid_logits.softmax(-1).float() if out.lid_logits is not None else None
                return RecognizerOutput(out.logits.float().log_softmax(-1), out.output_lengths, lid)
            logits = self.model(input_values=x, attention_mask=mask).logits  # [B, T, V]
            lengths = self.model._get_feat_extract_output_lengths(mask.sum(-1))
            return RecognizerOutput(logits.float().log_softmax(-1), lengths, None)


def _concat(outputs: list[RecognizerOutput]) -> RecognizerOutput:
    """Per-utterance outputs [1, T_i, V] -> one [B, max T, V] batch (frames past each length are 0)."""
    import torch
    from torch.nn.utils.rnn import pad_sequence

    log_probs = pad_sequence([o.log_probs[0] for o in outputs], batch_first=True)  # B x [T_i, V] -> [B, T, V]
    lengths = torch.cat([o.lengths for o in outputs])  # [B]
    lid = None if outputs[0].lid_probs is None else torch.cat([o.lid_probs for o in outputs])  # [B, n_langs]
    return RecognizerOutput(log_probs, lengths, lid)


def amp_dtype(precision: str, device: str):
    """The autocast dtype for a precision name on a device; None means plain fp32."""
    import torch

    if precision not in PRECISIONS:
        raise ConfigError(f"precision {precision!r}: use one of {', '.join(PRECISIONS)}")
    if not str(device).startswith("cuda") or precision == "fp32":
        return None
    if precision == "fp16" or (precision == "auto" and not torch.cuda.is_bf16_supported()):
        return torch.float16
    return torch.bfloat16


def attention_backends(device: str):
    """On CUDA, scaled-dot-product attention without the cuDNN backend. cuDNN builds an execution
    plan per sequence length, and speech batches change length every step: profiled on an H200
    (MMS-300M shape, bf16, 96 s batches of 3 s clips), those plan builds took 4.8 s of 7.5 s host
    time over 16 updates and left the GPU idle ~90% of the time. Flash / memory-efficient kernels
    have no per-shape setup. A no-op context on CPU."""
    if not str(device).startswith("cuda"):
        return nullcontext()
    from torch.nn.attention import SDPBackend, sdpa_kernel

    return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])


def pad_batch(waves: Sequence[np.ndarray], do_normalize: bool, device: str = "cpu"):
    """[S_i] waves -> input_values [B, S] (zero-padded, each normalised over its own samples), mask [B, S]."""
    import torch

    lengths = torch.tensor([len(w) for w in waves])
    x = torch.zeros(len(waves), int(lengths.max()))  # [B, S]
    mask = torch.zeros_like(x, dtype=torch.long)
    for i, w in enumerate(waves):
        w = torch.as_tensor(np.asarray(w, dtype=np.float32))
        if do_normalize:
            w = (w - w.mean()) / torch.sqrt(w.var(unbiased=False) + 1e-7)
        x[i, : len(w)] = w
        mask[i, : len(w)] = 1
    return x.to(device), mask.to(device)


def load_checkpoint(folder: str | Path, device: str = "cpu", source: str | None = None,
                    lang: str | None = None) -> Recognizer:
    """Load a checkpoint folder (sshr or HF *ForCTC) for inference; `source`: the name it was given
    as (a run folder or Hub id), recorded in outputs; the folder itself by default. `lang`: the
    language of an MMS multi-language model (its adapter.<lang>.safetensors and vocabulary)."""
    folder = Path(folder)
    source = str(folder) if source is None else source
    config = read_json(folder / CONFIG_FILE, hint="expected an sshr or HF checkpoint folder")
    if SSHR_CONFIG_KEY in config:
        rec = _load_sshr(folder, device, source)
    else:
        rec = _load_hf_ctc(folder, config, device, source, lang)
    if device == "cpu":
        from .fast_frontend import use_channels_last_frontend  # imports torch, like the loaders above

        use_channels_last_frontend(rec.model)  # same outputs, faster on a CPU
    return rec


def _do_normalize(folder: Path) -> bool:
    for name in (PREPROCESSOR_FILE, PROCESSOR_FILE):
        path = folder / name
        if path.is_file():
            cfg = read_json(path)
            cfg = cfg.get("feature_extractor", cfg)
            if cfg.get("sampling_rate", SAMPLE_RATE_HZ) != SAMPLE_RATE_HZ:
                raise CheckpointError(f"{path}: sampling_rate {cfg['sampling_rate']} Hz; sshr expects {SAMPLE_RATE_HZ}")
            return bool(cfg.get("do_normalize", True))
    return True


def _load_hf_ctc(folder: Path, config: dict, device: str, source: str, lang: str | None = None) -> Recognizer:

    archs = config.get("architectures") or []
    if not any(a.endswith("ForCTC") for a in archs):
        raise CheckpointError(
            f"{folder}: architectures {archs} has no CTC head; decode needs an sshr checkpoint or an HF *ForCTC model"
        )
    vocab = Vocab.load(folder, lang=lang)  # an MMS vocabulary without lang: the one-line list of languages
    model = load_hf_ctc_model(folder, lang).to(device).eval()
    if model.config.vocab_size != len(vocab):
        raise CheckpointError(
            f"{folder}: vocab.json has {len(vocab)} tokens but the CTC head has {model.config.vocab_size} outputs"
        )
    return Recognizer(model, vocab, "hf-ctc", source, do_normalize=_do_normalize(folder), device=device,
                      meta={"architectures": archs, **({"adapter": lang} if is_multilingual(folder) else {})},
                      folder=folder)


def _load_sshr(folder: Path, device: str, source: str) -> Recognizer:
    from .sshr import SSHRForCTC

    model = SSHRForCTC.from_pretrained(folder).to(device).eval()
    meta = {"sshr": model.sshr_config.to_dict()}
    return Recognizer(model, model.vocab, "sshr", source, languages=tuple(model.sshr_config.languages),
                      do_normalize=_do_normalize(folder), device=device, meta=meta, folder=folder)


def resolve_device(name: str) -> str:
    """'auto' -> cuda when visible, else cpu; a one-line ConfigError for an unusable name."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"--device {name}: no CUDA GPU is visible to torch here; use --device cpu")
    if name != "cpu" and not name.startswith("cuda"):
        raise ConfigError(f"--device {name!r}: use cpu, cuda, cuda:N or auto")
    return name
