"""SSHR on a Hugging Face wav2vec2-family encoder, and the plain-CTC baseline.

    model = SSHRForCTC.from_encoder("facebook/mms-300m", SSHRConfig(languages=("en", "de")), vocab)
    out = model(input_values, attention_mask, labels=labels, lang_ids=lang_ids)
    out.loss.backward(); model.save_pretrained("exp/run/best")
    model = SSHRForCTC.from_pretrained("exp/run/best")

The HF encoder runs its own modules (conv feature encoder, feature projection, SpecAugment,
positional conv embedding, transformer layers); this module only drives the layer loop, so it
can prepend the language frame after `lid_layer`, stop after `num_layers` and insert Cross-CTC
after `cross_ctc_layers`. With all three off it computes exactly what `Wav2Vec2ForCTC` does.
See docs/model.md for the method, the loss and the checkpoint layout. The losses live in
losses.py, the encoder's loading in encoder.py, the checkpoint files in checkpoint_io.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .checkpoint_io import config_dict, load_weights, read_checkpoint, write_checkpoint
from .config import SSHRConfig, padding_sensitive
from .constants import BLANK_ID
from .encoder import (DEFAULT_FEATURE_EXTRACTOR, check_encoder_config, enable_checkpointing, encoder_from_config,
                      load_pretrained_encoder, read_feature_extractor)
from .errors import DataError
from .fileio import atomic_dir
from .losses import CTC_LOSS_REDUCTION, check_targets, ctc_loss, inter_ctc_loss, lid_loss, masked_mean
from .vocab import Vocab

__all__ = ["SSHRForCTC", "SSHROutput", "CrossCTC", "check_targets"]


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
    def __init__(self, encoder, config: SSHRConfig, vocab: Vocab | int, feature_extractor: dict | None = None):
        """`encoder`: a transformers base model (Wav2Vec2Model, HubertModel, Data2VecAudioModel);
        `vocab`: the CTC targets, or just their number (the transformers view, whose tokenizer has them)."""
        super().__init__()
        ec = encoder.config
        check_encoder_config(ec)
        config.validate(ec.num_hidden_layers, ec.hidden_size, ec.num_attention_heads)
        self.sshr_config = config  # as given (saved in config.json)
        self.effective_config = config.effective()  # what runs: arch=ctc turns the SSHR-only parts off
        self.vocab = vocab if isinstance(vocab, Vocab) else None
        self.vocab_size = len(vocab) if isinstance(vocab, Vocab) else int(vocab)
        self.feature_extractor_config = {**DEFAULT_FEATURE_EXTRACTOR, **(feature_extractor or {})}
        self.prefix = type(encoder).base_model_prefix  # "wav2vec2": state-dict keys match *ForCTC
        self.add_module(self.prefix, encoder)
        self._shape_encoder()
        d, v = ec.hidden_size, self.vocab_size
        self.dropout = nn.Dropout(config.final_dropout)
        self.lm_head = nn.Linear(d, v)
        self.lid_head, self.cross_ctc, self.inter_heads, self.forced_frame = None, None, None, None
        for module in [self.lm_head, *self._build_sshr_modules(d, v)]:
            module.apply(encoder._init_weights)
        if config.freeze_feature_encoder:
            self.freeze_feature_encoder()
        if config.gradient_checkpointing:
            enable_checkpointing(encoder)

    # ---- construction
    def _shape_encoder(self) -> None:
        """Keep the first num_layers layers, re-initialise the last K, set HF's training switches."""
        cfg, enc = self.effective_config, self.encoder_model
        ec = enc.config
        kept = cfg.kept_layers(ec.num_hidden_layers)
        layers = list(enc.encoder.layers)[:kept]
        for i in range(kept - cfg.replace_final_layers, kept):
            layers[i] = type(layers[i])(ec)
            layers[i].apply(enc._init_weights)
        enc.encoder.layers = nn.ModuleList(layers)
        ec.update(dict(num_hidden_layers=kept, layerdrop=0.0, apply_spec_augment=True,
                       mask_time_prob=cfg.mask_time_prob, mask_time_length=cfg.mask_time_length,
                       mask_feature_prob=cfg.mask_feature_prob, mask_feature_length=cfg.mask_feature_length,
                       final_dropout=cfg.final_dropout, vocab_size=self.vocab_size, pad_token_id=BLANK_ID,
                       ctc_loss_reduction=CTC_LOSS_REDUCTION, ctc_zero_infinity=True))
        masking = cfg.mask_time_prob > 0 or cfg.mask_feature_prob > 0
        if masking and getattr(enc, "masked_spec_embed", None) is None:
            enc.masked_spec_embed = nn.Parameter(torch.empty(ec.hidden_size).uniform_())

    def _build_sshr_modules(self, d: int, v: int) -> list[nn.Module]:
        """LID head, Cross-CTC blocks and unshared intermediate heads: none of them when they are off."""
        cfg, ec = self.effective_config, self.encoder_config
        if cfg.lid_layer is not None and cfg.languages:
            self.lid_head = nn.Sequential(nn.LayerNorm(d, eps=ec.layer_norm_eps), nn.Linear(d, len(cfg.languages)))
        heads = cfg.cross_attention_heads or ec.num_attention_heads
        self.cross_layers = cfg.cross_layers(ec.num_hidden_layers)  # _shape_encoder set it to the kept layers
        if self.cross_layers:
            self.cross_ctc = nn.ModuleDict({str(n): CrossCTC(v, d, heads, ec.hidden_dropout) for n in self.cross_layers})
        if self.cross_layers and not cfg.share_ctc_head:
            self.inter_heads = nn.ModuleDict({str(n): nn.Linear(d, v) for n in self.cross_layers})
        return [m for m in (self.lid_head, self.cross_ctc, self.inter_heads) if m is not None]

    @classmethod
    def from_encoder(cls, encoder_id_or_path: str | Path, config: SSHRConfig, vocab: Vocab) -> "SSHRForCTC":
        """A new model on pretrained encoder weights (Hub id such as facebook/mms-300m, or a folder)."""
        encoder, feature_extractor = load_pretrained_encoder(encoder_id_or_path, config)
        return cls(encoder, config, vocab, feature_extractor)

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
        hidden, inter_log_probs, frame, states, top_frame = self._layers(hidden, frame_mask, output_hidden_states)
        lid_input = top_frame if self.effective_config.lid_from == "top" else frame
        lid_logits = self.lid_head(lid_input) if self.lid_head is not None else None
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
        cfg, enc = self.effective_config, self.encoder_model.encoder
        lid_layer, cross = cfg.lid_layer, set(self.cross_layers)
        mask, offset = frame_mask, 0  # offset: 1 once the language frame is at position 0
        attn = self._attention_mask(hidden, mask)
        states = [hidden] if collect else None
        inter_log_probs, frame = [], None
        for n, layer in enumerate(enc.layers, start=1):
            hidden = layer(hidden, attention_mask=attn)
            if n == lid_layer:
                frame = self._language_frame(hidden, mask)  # [B, D]
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
        top_frame = hidden[:, 0] if offset else None  # [B, D] the language frame after the last kept layer
        return hidden[:, offset:], inter_log_probs, frame, tuple(states) if collect else None, top_frame

    def _language_frame(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """The frame prepended after lid_layer: the mean over valid frames [B, T, D] -> [B, D], or
        forced_frame [D] (a stored language's mean frame, see force_language_frame) for every utterance."""
        if self.forced_frame is None:
            return masked_mean(hidden, mask)
        return self.forced_frame.to(hidden.dtype).expand(hidden.shape[0], -1)  # [D] -> [B, D]

    def force_language_frame(self, frame: torch.Tensor | None) -> None:
        """Replace the pooled language frame by `frame` [D] in every later forward (None: pool again)."""
        d = self.encoder_config.hidden_size
        if frame is not None and tuple(frame.shape) != (d,):
            raise DataError(f"a forced language frame must have shape ({d},); got {tuple(frame.shape)}")
        if frame is not None and self.effective_config.lid_layer is None:
            raise DataError("this model has no language frame (model.lid_layer is null); nothing to force")
        self.forced_frame = None if frame is None else frame.detach().to(self.lm_head.weight.device)

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
        cfg = self.effective_config
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
        write_checkpoint(self, Path(folder), extra)

    def config_dict(self) -> dict:
        """config.json: the encoder config, our SSHR config and the versions used."""
        return config_dict(self.encoder_config, self.sshr_config)

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> "SSHRForCTC":
        """Load a folder written by save_pretrained; needs nothing else."""
        folder = Path(folder)
        config, vocab, weights = read_checkpoint(folder)
        model = cls(encoder_from_config(folder), config, vocab, read_feature_extractor(folder))
        load_weights(model, weights)
        return model
