"""SSHRForCTC as a transformers model: what `AutoModelForCTC` builds from an SSHR checkpoint.

    model = AutoModelForCTC.from_pretrained("exp/run/best", trust_remote_code=True)
    logits = model(input_values, attention_mask).logits   # [B, T, V], as sshr decode computes them

This file travels inside every arch=sshr checkpoint folder with the rest of the model package
(config.json's auto_map points here). It adds no computation of its own: SSHRModelForCTC owns the
modules of one SSHRForCTC (registered under the same names, so the weights' keys are those of
model.safetensors as sshr writes it) and runs SSHRForCTC.forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import AutoModel, PreTrainedModel
from transformers.modeling_outputs import ModelOutput

from .config import SSHRConfig
from .configuration_sshr import SSHRPretrainedConfig
from .encoder import ATTN_IMPLEMENTATION
from .sshr import SSHRForCTC


@dataclass
class SSHRCTCOutput(ModelOutput):
    loss: torch.Tensor | None = None  # scalar; None without labels
    logits: torch.Tensor | None = None  # [B, T, V] final CTC head
    lid_logits: torch.Tensor | None = None  # [B, n_lang]; None without a language head
    output_lengths: torch.Tensor | None = None  # [B] valid frames per utterance


class SSHRModelForCTC(PreTrainedModel):
    config_class = SSHRPretrainedConfig
    base_model_prefix = "sshr"  # no module has this name: weight keys load as they are
    main_input_name = "input_values"

    def __init__(self, config: SSHRPretrainedConfig):
        super().__init__(config)
        encoder = AutoModel.from_config(config.encoder_config(), attn_implementation=ATTN_IMPLEMENTATION)
        core = SSHRForCTC(encoder, SSHRConfig.from_dict(config.sshr), config.vocab_size)
        for name, module in core.named_children():
            self.add_module(name, module)  # the same module objects: core computes with these weights
        self.__dict__["core"] = core  # not a submodule (its weights are registered above)
        self.post_init()

    def _init_weights(self, module) -> None:
        """SSHRForCTC initialises its own modules when it is built; weights then come from the file."""

    def train(self, mode: bool = True):
        super().train(mode)
        self.core.training = mode  # the layer loop reads the flag (SpecAugment); children are shared
        return self

    def forward(self, input_values: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, lang_ids: torch.Tensor | None = None, **kwargs) -> SSHRCTCOutput:
        """input_values [B, S], attention_mask [B, S] (1 = sample), labels [B, L] (-100 = pad)."""
        out = self.core(input_values, attention_mask, labels=labels, lang_ids=lang_ids)
        return SSHRCTCOutput(loss=out.loss, logits=out.logits, lid_logits=out.lid_logits,
                             output_lengths=out.output_lengths)

    @property
    def languages(self) -> tuple[str, ...]:
        """The language head's classes in id order (softmax of lid_logits gives their probabilities)."""
        return tuple(self.config.sshr.get("languages") or ())

    def _get_feat_extract_output_lengths(self, input_lengths):
        return self.core.encoder_model._get_feat_extract_output_lengths(input_lengths)
