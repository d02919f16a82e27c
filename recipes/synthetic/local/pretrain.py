#!/usr/bin/env python
"""Self-supervised pretraining of the tiny encoder on the generated audio (wav2vec 2.0 objective).

    python recipes/synthetic/local/pretrain.py --data WORK/data --encoder WORK/encoders/random \
        --out WORK/encoders/pretrained [--steps 1500] [--seed 0]

transformers' `Wav2Vec2ForPreTraining` on the audio of every prepared train manifest (labels are
not read): masked frames must pick their quantized target among sampled negatives, plus the
codebook diversity term, as in wav2vec 2.0 and the HF example script
(run_wav2vec2_pretraining_no_trainer.py). The conv front end stays frozen (it is the fixed
filterbank for `sshr synth encoder`'s default). The output folder is a plain `Wav2Vec2Model` in HF
format, so `sshr finetune --model OUT` starts from it exactly as it would from facebook/mms-300m.
Prints the loss every --log-every updates and writes OUT/pretrain_log.jsonl.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

PRETRAIN = dict(  # wav2vec 2.0's objective, sized for a 64-wide encoder and 3 s utterances
    mask_time_prob=0.5, mask_time_length=5, num_negatives=20, num_codevector_groups=2,
    num_codevectors_per_group=64, codevector_dim=64, proj_codevector_dim=64, diversity_loss_weight=0.1,
)
GUMBEL_START, GUMBEL_END = 2.0, 0.5  # temperature annealed linearly over the run
LR, WARMUP_FRACTION, WEIGHT_DECAY = 2e-3, 0.08, 0.01


def audio_rows(data: Path) -> list[np.ndarray]:
    """Every train clip of every prepared language, decoded once, normalised like finetune does."""
    from sshr_cli.audio import load_audio
    from sshr_cli.data.dataset import normalize_wave
    from sshr_cli.data.manifest import load_manifest, manifest_path, prepared_langs

    langs = prepared_langs(data)
    if not langs:
        raise SystemExit(f"{data}: no prepared languages (run `sshr prepare` first)")
    rows = [r for lang in langs for r in load_manifest(manifest_path(data, lang, "train"))]
    return [normalize_wave(load_audio(r["audio_filepath"])) for r in rows]


def batches(waves: list[np.ndarray], max_seconds: float, rng: random.Random):
    """Endless shuffled batches of similar-length clips, at most max_seconds of padded audio."""
    order = sorted(range(len(waves)), key=lambda i: len(waves[i]))
    while True:
        groups, group = [], []
        for i in order:
            if group and (len(group) + 1) * len(waves[i]) > max_seconds * 16_000:
                groups.append(group)
                group = []
            group.append(i)
        groups.append(group)
        rng.shuffle(groups)
        yield from groups


def pad(waves: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.zeros(len(waves), max(len(w) for w in waves))  # [B, S]
    mask = torch.zeros_like(x, dtype=torch.long)
    for i, w in enumerate(waves):
        x[i, : len(w)] = torch.from_numpy(w)
        mask[i, : len(w)] = 1
    return x, mask


def masks_and_negatives(model, mask: torch.Tensor, rng_seed: int):
    from transformers.models.wav2vec2.modeling_wav2vec2 import _compute_mask_indices, _sample_negative_indices

    cfg = model.config
    frames = int(model._get_feat_extract_output_lengths(mask.shape[1]))
    sub_mask = model._get_feature_vector_attention_mask(frames, mask)  # [B, T]
    np.random.seed(rng_seed)  # HF's helpers draw from numpy's global RNG
    masked = _compute_mask_indices((mask.shape[0], frames), cfg.mask_time_prob, cfg.mask_time_length,
                                   attention_mask=sub_mask, min_masks=2)
    negatives = _sample_negative_indices((mask.shape[0], frames), cfg.num_negatives, mask_time_indices=masked)
    return torch.from_numpy(masked).bool(), torch.from_numpy(negatives).long(), sub_mask


def lr_at(step: int, steps: int) -> float:
    warm = max(1, int(WARMUP_FRACTION * steps))
    if step < warm:
        return LR * (step + 1) / warm
    return LR * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))


def pretrain(args) -> None:
    from transformers import Wav2Vec2Config, Wav2Vec2ForPreTraining

    from sshr_cli.model.encoder import init_missing_mask_embedding

    torch.manual_seed(args.seed)
    cfg = Wav2Vec2Config.from_pretrained(args.encoder)
    cfg.update({**PRETRAIN, "layerdrop": 0.0})
    model, info = Wav2Vec2ForPreTraining.from_pretrained(args.encoder, config=cfg, output_loading_info=True)
    missing = [k.removeprefix("wav2vec2.") for k in info.get("missing_keys", ())]  # quantizer, projections: new
    init_missing_mask_embedding(model.wav2vec2, missing)  # transformers 5.17 left it uninitialised (NaN)
    model.freeze_feature_encoder()
    model.train()
    waves = audio_rows(args.data)
    print(f"pretraining on {len(waves)} clips ({sum(map(len, waves)) / 16_000 / 60:.1f} min of audio), "
          f"{args.steps} updates", flush=True)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=LR, betas=(0.9, 0.98), eps=1e-6, weight_decay=WEIGHT_DECAY)
    stream, log, t0 = batches(waves, args.max_batch_seconds, random.Random(args.seed)), [], time.perf_counter()
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps)
        model.set_gumbel_temperature(GUMBEL_START + (GUMBEL_END - GUMBEL_START) * step / max(1, args.steps - 1))
        x, mask = pad([waves[i] for i in next(stream)])
        masked, negatives, _ = masks_and_negatives(model, mask, args.seed * 1_000_003 + step)
        out = model(x, attention_mask=mask, mask_time_indices=masked, sampled_negative_indices=negatives)
        n = masked.sum()
        loss = out.loss / n  # HF sums over masked frames; per-frame, as the HF example script reports it
        if not torch.isfinite(loss):
            raise SystemExit(f"update {step + 1}: the pretraining loss is {float(loss)}; stopping (nothing saved)")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        row = {"step": step + 1, "loss": loss.item(), "contrastive": (out.contrastive_loss / n).item(),
               "diversity": out.diversity_loss.item(), "ppl": out.codevector_perplexity.item()}
        log.append(row)
        if (step + 1) % args.log_every == 0 or step + 1 == args.steps:
            recent = log[-args.log_every:]
            print(f"update {step + 1}: loss {np.mean([r['loss'] for r in recent]):.3f}  contrastive "
                  f"{np.mean([r['contrastive'] for r in recent]):.3f}  codebook perplexity {row['ppl']:.1f}  "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    save(model, args, log)


def save(model, args, log: list[dict]) -> None:
    """The encoder alone (Wav2Vec2Model), written to a temp folder and renamed into place."""
    from transformers import Wav2Vec2FeatureExtractor

    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{args.out.name}.", dir=args.out.parent))
    encoder = model.wav2vec2
    encoder.config.update({"mask_time_prob": 0.0})  # masking settings belong to the finetune recipe
    encoder.save_pretrained(tmp)
    Wav2Vec2FeatureExtractor.from_pretrained(args.encoder).save_pretrained(tmp)
    (tmp / "pretrain_log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in log), encoding="utf-8")
    if args.out.exists():
        import shutil

        shutil.rmtree(args.out)
    tmp.rename(args.out)
    print(f"wrote the pretrained encoder to {args.out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="a folder written by `sshr prepare`")
    ap.add_argument("--encoder", type=Path, required=True, help="the random encoder to start from")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--max-batch-seconds", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log-every", type=int, default=100)
    args = ap.parse_args()
    if (args.out / "config.json").is_file():
        print(f"{args.out} exists; delete it to pretrain again")
        return
    pretrain(args)


if __name__ == "__main__":
    sys.exit(main())
