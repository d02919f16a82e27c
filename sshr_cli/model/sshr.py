"""SSHR on a Hugging Face wav2vec2-family encoder, and the plain-CTC baseline.

    model = SSHRForCTC.from_encoder("facebook/mms-300m", SSHRConfig(languages=("en", "de")), vocab)
    out = model(input_values, attention_mask, labels=labels, lang_ids=lang_ids)
    out.loss.backward(); model.save_pretrained("exp/run/best")
    model = SSHRForCTC.from_pretrained("exp/run/best")

The HF encoder runs its own modules (conv feature encoder, feature projection, SpecAugment,
positional conv embedding, transformer layers); this module only drives the layer loop, so it
can prepend the language frame after `lid_layer`, stop after `num_layers` and insert Cross-CTC
after `cross_ctc_layers`. With all three off it computes exactly what `Wav2Vec2ForCTC` does.
See docs/model.md for the method, the loss and the checkpoint layout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
import torch
from torch import nn
from torch.nn import functional as F

from sshr_cli.constants import BLANK_ID, PREPROCESSOR_FILE, SAMPLE_RATE_HZ, SSHR_CONFIG_KEY, VOCAB_FILE
from sshr_cli.errors import CheckpointError, ConfigError, DataError, HubError
from sshr_cli.io import atomic_dir, write_json
from sshr_cli.model.config import SSHRConfig, padding_sensitive
from sshr_cli.text.vocab import Vocab

# Encoders whose layers take (hidden_states, attention_mask) and nothing else, and their HF CTC class.
CTC_CLASS_BY_MODEL_TYPE = {"wav2vec2": "Wav2Vec2ForCTC", "hubert": "HubertForCTC",
                           "data2vec-audio": "Data2VecAudioForCTC"}
SSHR_ARCHITECTURE = "SSHRForCTC"  # config.json "architectures" of an arch=sshr checkpoint
VERSIONS_KEY = "sshr_versions"  # config.json: the sshr/torch/transformers versions that wrote it
WEIGHTS_FILE = "model.safetensors"
CTC_LOSS_REDUCTION = "mean"  # per-utterance loss / target length, averaged over the batch
ATTN_IMPLEMENTATION = "sdpa"  # torch scaled_dot_product_attention; transformers falls back if unsupported
LID_IGNORE_ID = -100  # lang_ids entry for an utterance without a language label
DEFAULT_FEATURE_EXTRACTOR = dict(feature_size=1, sampling_rate=SAMPLE_RATE_HZ, padding_value=0.0,
                                 do_normalize=True, return_attention_mask=True)


@dataclass
class SSHROutput:
    loss: torch.Tensor | None  # scalar; None without labels
    logits: torch.Tensor  # [B, T, V] final CTC head (language frame removed)
    output_lengths: torch.Tensor  # [B] valid frames per utterance
    lid_logits: torch.Tensor | None = None  # [B, n_lang]; None without a language head
    losses: dict[str, torch.Tensor] = field(default_factory=dict)  # detached terms: "ctc", "inter_ctc", "lid"
    hidden_states: tuple[torch.Tensor, ...] | None = None  # [B, T, D] per layer, 0 = input of layer 1
    lid_frame: torch.Tensor | None = None  # [B, D] the pooled language frame; None when lid_layer is off


class CrossCTC(nn.Module):
    """H' = H + dropout(MHA(Q=Linear(V->D)(softmax(P)), K=V=H)), over valid frames only."""

    def __init__(self, vocab_size: int, hidden_size: int, heads: int, dropout: float):
        super().__init__()
        self.query = nn.Linear(vocab_size, hidden_size)
        self.attention = nn.MultiheadAttention(hidden_size, heads, batch_first=True)
        self.dropout = nn.Dropout(dropout)

    def forward(self, keys: torch.Tensor, log_probs: torch.Tensor, padding: torch.Tensor | None) -> torch.Tensor:
        """keys [B, Tk, D], log_probs [B, T, V], padding [B, Tk] (True = pad) -> update [B, T, D]."""
        query = self.query(log_probs.exp().to(keys.dtype))  # [B, T, V] -> [B, T, D]
        update, _ = self.attention(query, keys, keys, key_padding_mask=padding, need_weights=False)
        return self.dropout(update)


class SSHRForCTC(nn.Module):
    def __init__(self, encoder, config: SSHRConfig, vocab: Vocab, feature_extractor: dict | None = None):
        """`encoder`: a transformers base model (Wav2Vec2Model, HubertModel, Data2VecAudioModel)."""
        super().__init__()
        ec = encoder.config
        check_encoder_config(ec)
        config.validate(ec.num_hidden_layers, ec.hidden_size, ec.num_attention_heads)
        self.sshr_config = config
        self.vocab = vocab
        self.feature_extractor_config = {**DEFAULT_FEATURE_EXTRACTOR, **(feature_extractor or {})}
        self.prefix = type(encoder).base_model_prefix  # "wav2vec2": state-dict keys match *ForCTC
        self.add_module(self.prefix, encoder)
        self._shape_encoder()
        d, v = ec.hidden_size, len(vocab)
        self.dropout = nn.Dropout(config.final_dropout)
        self.lm_head = nn.Linear(d, v)
        self.lid_head, self.cross_ctc, self.inter_heads = None, None, None
        new = [self.lm_head]
        if config.is_sshr:
            new += self._build_sshr_modules(d, v)
        for module in new:
            module.apply(encoder._init_weights)
        if config.freeze_feature_encoder:
            self.freeze_feature_encoder()
        if config.gradient_checkpointing:
            _enable_checkpointing(encoder)

    # ---- construction
    def _shape_encoder(self) -> None:
        """Keep the first num_layers layers, re-initialise the last K, set HF's training switches."""
        cfg, enc = self.sshr_config, self.encoder_model
        ec = enc.config
        kept = cfg.kept_layers(ec.num_hidden_layers)
        layers = list(enc.encoder.layers)[:kept]
        for i in range(kept - (cfg.replace_final_layers if cfg.is_sshr else 0), kept):
            layers[i] = type(layers[i])(ec)
            layers[i].apply(enc._init_weights)
        enc.encoder.layers = nn.ModuleList(layers)
        ec.update(dict(num_hidden_layers=kept, layerdrop=0.0, apply_spec_augment=True,
                       mask_time_prob=cfg.mask_time_prob, mask_time_length=cfg.mask_time_length,
                       mask_feature_prob=cfg.mask_feature_prob, mask_feature_length=cfg.mask_feature_length,
                       final_dropout=cfg.final_dropout, vocab_size=len(self.vocab), pad_token_id=BLANK_ID,
                       ctc_loss_reduction=CTC_LOSS_REDUCTION, ctc_zero_infinity=True))
        masking = cfg.mask_time_prob > 0 or cfg.mask_feature_prob > 0
        if masking and getattr(enc, "masked_spec_embed", None) is None:
            enc.masked_spec_embed = nn.Parameter(torch.empty(ec.hidden_size).uniform_())

    def _build_sshr_modules(self, d: int, v: int) -> list[nn.Module]:
        cfg, ec = self.sshr_config, self.encoder_config
        if cfg.lid_layer is not None and cfg.languages:
            self.lid_head = nn.Sequential(nn.LayerNorm(d, eps=ec.layer_norm_eps), nn.Linear(d, len(cfg.languages)))
        heads = cfg.cross_attention_heads or ec.num_attention_heads
        self.cross_ctc = nn.ModuleDict({str(n): CrossCTC(v, d, heads, ec.hidden_dropout) for n in cfg.cross_ctc_layers})
        self.inter_heads = None if cfg.share_ctc_head else nn.ModuleDict(
            {str(n): nn.Linear(d, v) for n in cfg.cross_ctc_layers})
        return [m for m in (self.lid_head, self.cross_ctc, self.inter_heads) if m is not None]

    @classmethod
    def from_encoder(cls, encoder_id_or_path: str | Path, config: SSHRConfig, vocab: Vocab) -> "SSHRForCTC":
        """A new model on pretrained encoder weights (Hub id such as facebook/mms-300m, or a folder)."""
        from transformers import AutoConfig, AutoModel

        from sshr_cli.hub import REPO_ID

        source = str(encoder_id_or_path)
        if Path(source).expanduser().is_dir():
            source = str(Path(source).expanduser())
        elif not REPO_ID.match(source):
            raise HubError(f"encoder '{source}' is neither a folder nor a Hub id such as facebook/mms-300m")
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
        _init_missing_mask_embedding(encoder, info.get("missing_keys", ()))
        return cls(encoder, config, vocab, _feature_extractor_dict(source))

    # ---- views
    @property
    def encoder_model(self):
        return getattr(self, self.prefix)

    @property
    def padding_sensitive(self) -> bool:
        """See sshr_cli.model.config.padding_sensitive."""
        return padding_sensitive(self.encoder_config)

    @property
    def encoder_config(self):
        return self.encoder_model.config

    def encoder_parameters(self) -> list[nn.Parameter]:
        """Trainable parameters of the pretrained encoder (for its own learning rate)."""
        return [p for p in self.encoder_model.parameters() if p.requires_grad]

    def head_parameters(self) -> list[nn.Parameter]:
        """Trainable parameters outside the encoder: CTC head(s), LID head, Cross-CTC blocks."""
        inside = {id(p) for p in self.encoder_model.parameters()}
        return [p for p in self.parameters() if p.requires_grad and id(p) not in inside]

    def freeze_feature_encoder(self) -> None:
        """No gradient for the conv feature encoder (what HF's freeze_feature_encoder does)."""
        self.encoder_model.feature_extractor._freeze_parameters()

    def output_lengths(self, attention_mask: torch.Tensor) -> torch.Tensor:
        """[B, S] sample mask -> [B] encoder frames."""
        return self.encoder_model._get_feat_extract_output_lengths(attention_mask.sum(-1)).to(torch.long)

    # ---- forward
    def forward(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, lang_ids: torch.Tensor | None = None,
                output_hidden_states: bool = False) -> SSHROutput:
        """input_values [B, S], attention_mask [B, S] (1 = sample), labels [B, L] (-100 = pad), lang_ids [B]."""
        if input_values.dim() != 2:
            raise DataError(f"input_values must be [batch, samples]; got shape {tuple(input_values.shape)}")
        hidden, frame_mask = self._embed(input_values, attention_mask)
        hidden, inter_log_probs, frame, states = self._layers(hidden, frame_mask, output_hidden_states)
        lid_logits = self.lid_head(frame) if self.lid_head is not None else None
        logits = self.lm_head(self.dropout(hidden))  # [B, T, V]
        if attention_mask is None:
            lengths = torch.full((logits.shape[0],), logits.shape[1], dtype=torch.long, device=logits.device)
        else:
            lengths = self.output_lengths(attention_mask)
        loss, losses = None, {}
        if labels is not None:
            loss, losses = self._loss(logits, inter_log_probs, lengths, labels, lid_logits, lang_ids)
        return SSHROutput(loss, logits, lengths, lid_logits, losses, states, frame)

    def _embed(self, input_values, attention_mask):
        """Samples -> frames entering layer 1, as HF does: [B, S] -> [B, T, D], frame mask [B, T] (bool)."""
        enc = self.encoder_model
        features = enc.feature_extractor(input_values).transpose(1, 2)  # [B, C, T] -> [B, T, C]
        frame_mask = None
        if attention_mask is not None:
            frame_mask = enc._get_feature_vector_attention_mask(features.shape[1], attention_mask)
        hidden = enc.feature_projection(features)
        hidden = hidden[0] if isinstance(hidden, tuple) else hidden  # wav2vec2 also returns the normed features
        if self.training and hidden.shape[1] >= enc.config.mask_time_length:  # HF raises on shorter batches
            hidden = enc._mask_hidden_states(hidden, attention_mask=frame_mask)
        if frame_mask is not None:
            hidden = hidden.masked_fill(~frame_mask[..., None], 0.0)  # padding frames output 0
        hidden = hidden + enc.encoder.pos_conv_embed(hidden)
        if not self._stable_layer_norm:
            hidden = enc.encoder.layer_norm(hidden)
        return enc.encoder.dropout(hidden), frame_mask

    @property
    def _stable_layer_norm(self) -> bool:
        """Pre-LN layers with the encoder's layer_norm after the stack (MMS, large) vs post-LN (base)."""
        return bool(getattr(self.encoder_config, "do_stable_layer_norm", False))

    def _attention_mask(self, hidden: torch.Tensor, frame_mask: torch.Tensor | None):
        """The 4D mask HF builds for the configured attention implementation (None when no padding)."""
        from transformers.masking_utils import create_bidirectional_mask

        return create_bidirectional_mask(config=self.encoder_config, inputs_embeds=hidden, attention_mask=frame_mask)

    def _layers(self, hidden, frame_mask, collect: bool):
        """Run the kept layers; prepend the language frame after lid_layer; Cross-CTC after its layers."""
        cfg, enc = self.sshr_config, self.encoder_model.encoder
        lid_layer = cfg.lid_layer if cfg.is_sshr else None
        cross = set(cfg.cross_ctc_layers) if cfg.is_sshr else set()
        mask, offset = frame_mask, 0  # offset: 1 once the language frame is at position 0
        attn = self._attention_mask(hidden, mask)
        states = [hidden] if collect else None
        inter_log_probs, frame = [], None
        for n, layer in enumerate(enc.layers, start=1):
            hidden = layer(hidden, attention_mask=attn)
            if n == lid_layer:
                frame = masked_mean(hidden, mask)  # [B, D]
                hidden = torch.cat([frame[:, None], hidden], dim=1)  # [B, T, D] -> [B, 1+T, D]
                if mask is not None:
                    mask = torch.cat([mask.new_ones(mask.shape[0], 1), mask], dim=1)  # [B, T] -> [B, 1+T]
                attn, offset = self._attention_mask(hidden, mask), 1
            if n in cross:
                hidden, log_probs = self._cross_ctc(n, hidden, mask, offset)
                inter_log_probs.append(log_probs)
            if collect:
                states.append(hidden[:, offset:])
        if self._stable_layer_norm:
            hidden = enc.layer_norm(hidden)
        return hidden[:, offset:], inter_log_probs, frame, tuple(states) if collect else None

    def _normed(self, hidden: torch.Tensor) -> torch.Tensor:
        """A middle layer's output as the final head sees it (pre-LN encoders: the final layer_norm)."""
        return self.encoder_model.encoder.layer_norm(hidden) if self._stable_layer_norm else hidden

    def _cross_ctc(self, n: int, hidden, mask, offset: int):
        """Intermediate CTC log-probs log P at layer n (float32, reused by the loss), then
        H' = H + CrossAttention(softmax(P), H) on content frames."""
        normed = self._normed(hidden)
        head = self.lm_head if self.inter_heads is None else self.inter_heads[str(n)]
        log_probs = head(self.dropout(normed[:, offset:])).float().log_softmax(-1)  # [B, T, V]
        padding = None if mask is None else ~mask
        update = self.cross_ctc[str(n)](normed, log_probs, padding)  # [B, T, D]
        hidden = torch.cat([hidden[:, :offset], hidden[:, offset:] + update], dim=1)
        return hidden, log_probs

    def _loss(self, logits, inter_log_probs, lengths, labels, lid_logits, lang_ids):
        """(1-w)*CTC_final + w*mean(CTC_inter) + lid_weight*CE_lid; the terms as detached tensors
        (no host sync: the training loop reads them when it logs)."""
        cfg = self.sshr_config
        if labels.device.type == "cpu":  # on a GPU this check would stall every step; finetune checks on the host
            check_targets(labels, lang_ids, logits.shape[-1], lid_logits.shape[-1] if lid_logits is not None else 0)
        final = ctc_loss(logits, labels, lengths)
        total, terms = final, {"ctc": final}
        if inter_log_probs:
            inter = inter_ctc_loss(inter_log_probs, labels, lengths)
            total = (1 - cfg.inter_ctc_weight) * final + cfg.inter_ctc_weight * inter
            terms["inter_ctc"] = inter
        if lid_logits is not None and lang_ids is not None and cfg.lid_weight > 0:
            lid = lid_loss(lid_logits, lang_ids.to(lid_logits.device))
            total = total + cfg.lid_weight * lid
            terms["lid"] = lid
        return total, {k: v.detach() for k, v in terms.items()}

    # ---- checkpoints
    def save_pretrained(self, folder: str | Path, extra: dict | None = None) -> Path:
        """Write an HF-style folder atomically (the old folder is replaced whole).

        `extra` maps file names to contents written into the same folder (str -> text,
        bytes -> bytes, dict/list -> JSON), e.g. {"unigrams.txt": "..."}.
        """
        folder = Path(folder)
        with atomic_dir(folder) as tmp:
            self.write_files(tmp, extra)
        return folder

    def write_files(self, folder: Path, extra: dict | None = None) -> None:
        """The files of save_pretrained, written into `folder` as it is (the caller makes it atomic)."""
        from safetensors.torch import save_file

        write_json(folder / "config.json", self.config_dict())
        state = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        save_file(state, str(folder / WEIGHTS_FILE), metadata={"format": "pt"})
        _save_processor(folder, self.vocab, self.feature_extractor_config)
        for name, content in (extra or {}).items():
            _write_extra(folder / name, content)

    def config_dict(self) -> dict:
        """config.json: the encoder config, our SSHR config and the versions used."""
        d = self.encoder_config.to_dict()
        d.pop("_name_or_path", None)
        ctc = CTC_CLASS_BY_MODEL_TYPE[self.encoder_config.model_type]
        d["architectures"] = [ctc] if self.sshr_config.arch == "ctc" else [SSHR_ARCHITECTURE]
        d[SSHR_CONFIG_KEY] = self.sshr_config.to_dict()
        d[VERSIONS_KEY] = versions()
        return d

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> "SSHRForCTC":
        """Load a folder written by save_pretrained; needs nothing else."""
        from safetensors.torch import load_file

        folder = Path(folder)
        raw = _read_json(folder / "config.json")
        if SSHR_CONFIG_KEY not in raw:
            raise CheckpointError(f"{folder}/config.json has no '{SSHR_CONFIG_KEY}' section: not an sshr checkpoint "
                                  "(HF *ForCTC folders load with sshr_cli.model.inference.load_recognizer)")
        config = SSHRConfig.from_dict(raw[SSHR_CONFIG_KEY])
        vocab = Vocab.load(folder)
        weights = folder / WEIGHTS_FILE
        if not weights.is_file():
            raise CheckpointError(f"{folder} has no {WEIGHTS_FILE}; the checkpoint is incomplete")
        _check_head_size(weights, vocab, folder)
        model = cls(_encoder_from_config(folder, raw), config, vocab, _read_preprocessor(folder))
        missing, unexpected = model.load_state_dict(load_file(str(weights)), strict=False)
        if missing or unexpected:
            raise CheckpointError(f"{weights}: weights do not match the config (missing {missing[:3]}, "
                                  f"unexpected {unexpected[:3]}); was it written by another sshr version?")
        return model


# ---- losses
def ctc_loss(logits: torch.Tensor, labels: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """CTC with blank 0 and zero_infinity; each utterance's loss / its target length, averaged over the batch."""
    return _ctc(logits.float().log_softmax(-1), labels, lengths)


def inter_ctc_loss(log_probs: list[torch.Tensor], labels: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The mean of ctc_loss over the intermediate layers' log-probs [B, T, V], in one CTC call: the
    batch mean over k stacked copies of the batch is the mean of the k batch means."""
    k = len(log_probs)
    stacked = torch.cat(log_probs, dim=0)  # k x [B, T, V] -> [k*B, T, V]
    return _ctc(stacked, labels.repeat(k, 1), lengths.repeat(k))  # labels [B, L] -> [k*B, L]


def _ctc(log_probs: torch.Tensor, labels: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """F.ctc_loss on float32 log-probs [B, T, V] (see ctc_loss)."""
    valid = labels > BLANK_ID  # -100 padding (and stray blanks) are not targets
    with torch.backends.cudnn.flags(enabled=False):
        return F.ctc_loss(log_probs.transpose(0, 1), labels.masked_select(valid), lengths,  # [B, T, V] -> [T, B, V]
                          valid.sum(-1), blank=BLANK_ID, reduction=CTC_LOSS_REDUCTION, zero_infinity=True)


def lid_loss(lid_logits: torch.Tensor, lang_ids: torch.Tensor) -> torch.Tensor:
    """Cross-entropy averaged over utterances with a language (LID_IGNORE_ID = none); 0 if none has one."""
    labelled = (lang_ids != LID_IGNORE_ID).sum()
    summed = F.cross_entropy(lid_logits.float(), lang_ids, ignore_index=LID_IGNORE_ID, reduction="sum")
    return summed / labelled.clamp(min=1)


def check_targets(labels: torch.Tensor, lang_ids: torch.Tensor | None, vocab_size: int, n_langs: int) -> None:
    """One-line DataErrors for label ids outside the vocabulary and language ids outside model.languages."""
    if labels.numel() and int(labels.max()) >= vocab_size:
        raise DataError(f"labels contain id {int(labels.max())} but the vocabulary has {vocab_size} "
                        "tokens; encode targets with the checkpoint's vocab.json")
    if lang_ids is None or not n_langs:
        return
    given = lang_ids[lang_ids != LID_IGNORE_ID]
    if given.numel() and (int(given.min()) < 0 or int(given.max()) >= n_langs):
        raise DataError(f"lang_ids must be in 0..{n_langs - 1} (model.languages) or {LID_IGNORE_ID}; "
                        f"got {lang_ids.tolist()}")


def masked_mean(hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """[B, T, D] averaged over the valid frames of each utterance -> [B, D]."""
    if mask is None:
        return hidden.mean(dim=1)
    weights = mask.to(hidden.dtype)[..., None]  # [B, T] -> [B, T, 1]
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


# ---- helpers
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


def versions() -> dict[str, str]:
    import transformers

    from sshr_cli import __version__

    return {"sshr": __version__, "torch": torch.__version__, "transformers": transformers.__version__}


def _enable_checkpointing(encoder) -> None:
    """Recompute each encoder layer in backward (transformers renamed the switch during 5.x)."""
    kwargs = {"use_reentrant": False}
    if hasattr(encoder, "activation_checkpointing_enable"):
        encoder.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:
        encoder.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)


def _encoder_from_config(folder: Path, raw: dict):
    """A randomly initialised encoder shaped by config.json (the weights are loaded afterwards)."""
    from transformers import AutoConfig, AutoModel

    ec = AutoConfig.from_pretrained(folder)
    for key in (SSHR_CONFIG_KEY, VERSIONS_KEY):
        if hasattr(ec, key):
            delattr(ec, key)
    check_encoder_config(ec)
    return AutoModel.from_config(ec, attn_implementation=ATTN_IMPLEMENTATION)


def _check_head_size(weights: Path, vocab: Vocab, folder: Path) -> None:
    from safetensors import safe_open

    with safe_open(str(weights), framework="pt") as f:
        if "lm_head.weight" not in f.keys():
            raise CheckpointError(f"{weights} has no lm_head.weight; not a CTC checkpoint")
        outputs = f.get_slice("lm_head.weight").get_shape()[0]
    if outputs != len(vocab):
        raise CheckpointError(f"{folder}: vocab.json has {len(vocab)} tokens (blank '{vocab.tokens[BLANK_ID]}' at "
                              f"id {BLANK_ID}) but the CTC head has {outputs} outputs; use the vocab.json it was "
                              "trained with")


def _init_missing_mask_embedding(encoder, missing_keys) -> None:
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


def _read_preprocessor(folder: Path) -> dict:
    path = folder / PREPROCESSOR_FILE
    if not path.is_file():
        return dict(DEFAULT_FEATURE_EXTRACTOR)
    d = _read_json(path)
    return {k: d[k] for k in DEFAULT_FEATURE_EXTRACTOR if k in d}


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


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(".")


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise CheckpointError(f"{path.parent} has no {path.name}; expected an sshr checkpoint folder")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno})") from exc
