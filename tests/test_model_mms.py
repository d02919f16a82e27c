"""An MMS-300M-shaped random model (real facebook/mms-300m config values, no download) on CPU."""

import resource
import time

import pytest
import torch

from sshr_cli.model.config import SSHRConfig
from sshr_cli.model.sshr import SSHRForCTC
from tests.helpers_model import labels_for, padded_batch

MMS_VOCAB_SIZE = 40  # about the size of a two-language character vocabulary


@pytest.mark.slow
def test_mms_300m_shaped_sshr_runs_forward_and_backward_on_2_s_of_audio():
    from transformers import AutoModel, Wav2Vec2Config

    from sshr_cli.model.tiny import MMS_300M_ENCODER
    from sshr_cli.text.vocab import Vocab

    torch.manual_seed(0)
    encoder = AutoModel.from_config(Wav2Vec2Config(**MMS_300M_ENCODER), attn_implementation="sdpa")
    vocab = Vocab(("<pad>", "<unk>", "|") + tuple(f"u{i}" for i in range(MMS_VOCAB_SIZE - 3)))
    model = SSHRForCTC(encoder, SSHRConfig(languages=("en", "de")), vocab).train()  # paper defaults: 22 layers
    x, mask = padded_batch([2.0], seed=0)
    start = time.perf_counter()
    out = model(x, mask, labels=labels_for([list(range(3, 23))]), lang_ids=torch.tensor([1]))
    out.loss.backward()
    seconds = time.perf_counter() - start
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
    print(f"\nmms-300m-shaped SSHR: forward+backward on 2 s: {seconds:.1f} s, peak RSS {peak_gib:.2f} GiB")
    assert out.logits.shape == (1, 99, MMS_VOCAB_SIZE) and out.lid_logits.shape == (1, 2)
    assert len(model.encoder_model.encoder.layers) == 22 and set(out.losses) == {"ctc", "inter_ctc", "lid"}
    assert all(p.grad is not None for p in model.head_parameters())
    assert model.encoder_model.encoder.layers[0].attention.q_proj.weight.grad.abs().sum() > 0
