"""Each training language's mean language frame, written into every checkpoint (language-forced decoding).

    files = language_frame_files(model, train_set, device, context)   # {} for a model without a frame

The mean is over the first LANGUAGE_FRAME_UTTERANCES train utterances of each language (manifest
order), in eval mode, with the weights being saved; see sshr_cli.model.frames for the file.
"""

from __future__ import annotations

from typing import Callable, ContextManager

import numpy as np
import torch

from sshr_cli.data.dataset import collate
from sshr_cli.model.constants import LANGUAGE_FRAME_UTTERANCES, LANGUAGE_FRAMES_FILE
from sshr_cli.model.frames import FrameMeans

FRAME_BATCH = 8  # utterances per forward pass (1 for padding-sensitive encoders)


def language_frame_files(model, train_set, device: str, context: Callable[[], ContextManager]) -> dict:
    """{LANGUAGE_FRAMES_FILE: payload} for a model with a language frame, else {}."""
    lid_layer = model.effective_config.lid_layer
    if lid_layer is None:
        return {}
    means = FrameMeans()
    was_training = model.training
    model.eval()
    step = 1 if model.padding_sensitive else FRAME_BATCH
    with torch.inference_mode(), context():
        for lang, indices in _sample(train_set).items():
            for k in range(0, len(indices), step):
                batch = collate([train_set[i] for i in indices[k : k + step]]).to(device)
                means.add(lang, model(batch.input_values, batch.attention_mask).lid_frame.float())
    model.train(was_training)
    return {LANGUAGE_FRAMES_FILE: means.payload(lid_layer)}


def _sample(train_set) -> dict[str, list[int]]:
    """The first LANGUAGE_FRAME_UTTERANCES item positions of each language, in manifest order."""
    lang_ids, langs = train_set.lang_ids, train_set.index.langs
    positions = np.arange(len(lang_ids))
    return {langs[k]: positions[lang_ids == k][:LANGUAGE_FRAME_UTTERANCES].tolist() for k in np.unique(lang_ids)}
