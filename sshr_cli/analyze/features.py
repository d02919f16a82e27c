"""Every layer's hidden states: the encoder loader and the batched, no-grad extraction."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from sshr_cli.analyze.data import Utterance
from sshr_cli.analyze.labels import FRAME_STRIDE_SAMPLES, frame_labels
from sshr_cli.audio import load_audio
from sshr_cli.constants import SAMPLE_RATE_HZ, SSHR_CONFIG_KEY
from sshr_cli.errors import CheckpointError, DataError
from sshr_cli.io import read_json


@dataclass
class Encoder:
    """A wav2vec2-family encoder: model(input_values, attention_mask, output_hidden_states=True)."""

    model: object  # torch.nn.Module returning .hidden_states (n_layers + 1 tensors [B, T, H])
    frame_lengths: Callable  # samples [B] -> valid frames [B]
    n_layers: int
    hidden_size: int
    source: str
    kind: str  # "encoder" | "hf-ctc" | "sshr"
    do_normalize: bool = True
    device: str = "cpu"


def pick_device(device: str) -> str:
    from sshr_cli.model.inference import resolve_device

    return resolve_device(device)


def load_encoder(name_or_path: str, device: str = "cpu") -> Encoder:
    """A Hub id or folder: plain encoder, HF *ForCTC (its encoder) or sshr checkpoint (its encoder)."""
    from sshr_cli.hub import resolve_checkpoint
    from sshr_cli.model.inference import _do_normalize

    folder = resolve_checkpoint(str(name_or_path))
    cfg_path = folder / "config.json"
    if not cfg_path.is_file():
        raise CheckpointError(f"{folder} has no config.json; expected an HF encoder, HF *ForCTC or sshr checkpoint folder")
    config = read_json(cfg_path, CheckpointError, hint="expected an HF encoder, HF *ForCTC or sshr checkpoint folder")
    if SSHR_CONFIG_KEY in config:
        from sshr_cli.model.sshr import SSHRForCTC

        # the full SSHR forward (language frame, Cross-CTC) returns the kept layers' states
        model, kind = SSHRForCTC.from_pretrained(folder), "sshr"
        encoder = model.encoder_model
    else:
        model = encoder = _hf_encoder(folder)
        kind = "hf-ctc" if any(a.endswith("ForCTC") for a in config.get("architectures") or []) else "encoder"
    model = model.to(device).eval()
    return Encoder(model, encoder._get_feat_extract_output_lengths, int(encoder.config.num_hidden_layers),
                   int(encoder.config.hidden_size), str(name_or_path), kind, _do_normalize(folder), device)


def _hf_encoder(folder: Path):
    from transformers import AutoModel

    model, info = AutoModel.from_pretrained(folder, output_loading_info=True)
    missing = [k for k in info.get("missing_keys", []) if "masked_spec_embed" not in k]
    if missing:
        raise CheckpointError(f"{folder}: the encoder weights are missing ({len(missing)} tensors, e.g. {missing[0]}); "
                              f"is this a wav2vec2-family checkpoint?")
    if not hasattr(model, "_get_feat_extract_output_lengths"):
        raise CheckpointError(f"{folder}: {type(model).__name__} is not a wav2vec2-family speech encoder")
    return model


def batch_waves(waves: Sequence[np.ndarray], do_normalize: bool, device: str):
    """Zero-pad and normalise exactly as decoding does (sshr_cli.model.inference.pad_batch)."""
    from sshr_cli.model.inference import pad_batch

    return pad_batch(waves, do_normalize, device)


def duration_batches(utts: Sequence[Utterance], batch_s: float) -> list[list[int]]:
    """Indices grouped by sorted duration, each batch at most `batch_s` of audio (or one utterance)."""
    order = sorted(range(len(utts)), key=lambda i: utts[i].duration_s)
    batches, current, total = [], [], 0.0
    for i in order:
        if current and total + utts[i].duration_s > batch_s:
            batches.append(current)
            current, total = [], 0.0
        current.append(i)
        total += utts[i].duration_s
    return batches + ([current] if current else [])


@dataclass
class LayerFeatures:
    pooled: np.ndarray  # [L+1, N, H] float32, mean over valid frames
    frames: np.ndarray  # [L+1, F, H] float16, a sample of frames
    frame_labels: list[str]  # [F]
    frame_utt: np.ndarray  # [F] index into `utts`
    utts: list[Utterance]  # the utterances that were read (skipped ones are left out)
    skipped: list[dict] = field(default_factory=list)  # {"id", "reason"}
    label_method: str = "uniform"


def extract(encoder: Encoder, utts: list[Utterance], batch_s: float, max_frames: int, seed: int,
            aligner=None, progress: Callable[[int], None] | None = None) -> LayerFeatures:
    """Run the encoder over `utts` in duration-sorted batches; keep pooled and sampled frame features."""
    import torch

    per_utt = max(1, max_frames // max(1, len(utts)))
    acc = _Accumulator(encoder.n_layers + 1, encoder.hidden_size, len(utts), per_utt * len(utts))
    for batch in duration_batches(utts, batch_s):
        waves, kept = _read_batch(utts, batch, acc.skipped)
        if kept:
            x, mask = batch_waves(waves, encoder.do_normalize, encoder.device)
            with torch.inference_mode():
                hidden = encoder.model(input_values=x, attention_mask=mask, output_hidden_states=True).hidden_states
                n_frames = encoder.frame_lengths(mask.sum(-1)).tolist()
            hidden = torch.stack(hidden).float().cpu().numpy()  # L+1 x [B, T, H] -> [L+1, B, T, H]
            align = aligner(waves, [utts[i].units for i in kept], n_frames) if aligner is not None else None
            for row, i in enumerate(kept):
                labels = _labels_for(utts[i], waves[row], n_frames[row], align, row, acc.skipped)
                acc.add(i, hidden[:, row, : n_frames[row]], labels, np.random.default_rng([seed, i]), per_utt)
        if progress:
            progress(len(batch))
    return acc.result(utts, "forced_align" if aligner is not None else "uniform")


def _read_batch(utts, batch, skipped) -> tuple[list[np.ndarray], list[int]]:
    waves, kept = [], []
    for i in batch:
        try:
            wave = load_audio(utts[i].audio_path, SAMPLE_RATE_HZ)
        except DataError as exc:
            skipped.append({"id": utts[i].id, "reason": str(exc)})
            continue
        if len(wave) < FRAME_STRIDE_SAMPLES * 2:
            skipped.append({"id": utts[i].id, "reason": "shorter than 2 encoder frames"})
            continue
        waves.append(wave)
        kept.append(i)
    return waves, kept


def _labels_for(utt, wave, n_frames, align, row, skipped) -> list[str] | None:
    try:
        return frame_labels(utt.units, wave, n_frames, None if align is None else align[row])
    except DataError as exc:
        skipped.append({"id": utt.id, "reason": f"no phone labels: {exc}"})
        return None


class _Accumulator:
    def __init__(self, n_layers: int, hidden: int, n_utts: int, max_frames: int):
        self.pooled = np.zeros((n_layers, n_utts, hidden), np.float32)
        self.frames = np.zeros((n_layers, max_frames, hidden), np.float16)
        self.labels: list[str] = []
        self.frame_utt: list[int] = []
        self.read: list[int] = []
        self.skipped: list[dict] = []

    def add(self, i: int, hidden: np.ndarray, labels: list[str] | None, rng, per_utt: int) -> None:
        """hidden: [L+1, T, H] valid frames of utterance i."""
        self.pooled[:, i] = hidden.mean(axis=1)  # [L+1, T, H] -> [L+1, H]
        self.read.append(i)
        if labels is None:
            return
        pick = np.sort(rng.choice(len(labels), size=min(per_utt, len(labels)), replace=False))
        start = len(self.labels)
        self.frames[:, start : start + len(pick)] = hidden[:, pick]  # [L+1, k, H]
        self.labels += [labels[j] for j in pick]
        self.frame_utt += [i] * len(pick)

    def result(self, utts, method: str) -> LayerFeatures:
        read = sorted(self.read)
        remap = {old: new for new, old in enumerate(read)}
        n = len(self.labels)
        return LayerFeatures(self.pooled[:, read], self.frames[:, :n], self.labels,
                             np.array([remap[i] for i in self.frame_utt], dtype=np.int64),
                             [utts[i] for i in read], self.skipped, method)
