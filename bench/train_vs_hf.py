"""Audio seconds per second: `sshr finetune` against HF Trainer + Wav2Vec2ForCTC (group_by_length).

    python bench/train_vs_hf.py --data DATA [--epochs 3]      # DATA: prepared by `sshr prepare`
    python bench/train_vs_hf.py --clips 30                     # generates an en+de corpus first

Same tiny random encoder, same training manifests, same number of epochs, plain CTC on both
sides (sshr's arch=ctc is exactly Wav2Vec2ForCTC; the SSHR arch is timed too). HF gets what its
example script does: a fixed per-device batch size (the mean of sshr's duration buckets, so both
see the same utterances per step on average), group_by_length, audio decoded once up front
(sshr caches audio too), no evaluation and no checkpoints during training. sshr runs its
normal loop with one dev evaluation and one checkpoint at the end. Prints audio-s/s and the
ratio (goal >= 1.5).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

RECIPE = "synthetic/tiny"


def prepared_data(args, tmp: Path) -> Path:
    if args.data:
        return Path(args.data)
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from helpers_train import write_prepared

    from sshr_cli.data.synthetic import generate_commonvoice

    root = generate_commonvoice(tmp / "cv", ["en", "de"], clips_per_lang=args.clips, seed=3)
    return write_prepared(root, tmp / "data")


def sshr_run(data: Path, out: Path, epochs: int, arch: str) -> tuple[float, float, int]:
    """(audio seconds trained, wall seconds, mean utterances per batch)."""
    from sshr_cli.config import load_recipe
    from sshr_cli.train.loop import FinetuneRequest, Trainer
    from sshr_cli.train import distributed

    base = load_recipe(RECIPE, [f"model.arch={arch}"])
    info = distributed.setup(prefer_cuda=False)
    probe = Trainer(FinetuneRequest(base, data, out / "probe", "unused", show_progress=False), info)
    plans = [probe.sampler.plan(e) for e in range(epochs)]
    steps = sum(len(p) for p in plans)
    audio = epochs * sum(u.duration for u in probe.train_set.utts)
    per_batch = int(round(np.mean([len(b) for p in plans for b in p])))
    recipe = load_recipe(RECIPE, [f"model.arch={arch}", f"train.max_steps={steps}", f"train.eval_every={steps}",
                                  f"train.log_every={steps}"])
    t0 = time.perf_counter()
    Trainer(FinetuneRequest(recipe, data, out / arch, "unused", show_progress=False), info).run()
    return audio, time.perf_counter() - t0, per_batch


class _Collator:
    """What the HF example script's DataCollatorCTCWithPadding does."""

    def __init__(self, feature_extractor):
        self.fe = feature_extractor

    def __call__(self, items):
        batch = self.fe.pad([{"input_values": it["input_values"]} for it in items], padding=True,
                            return_tensors="pt", return_attention_mask=True)
        longest = max(len(it["labels"]) for it in items)
        labels = torch.full((len(items), longest), -100, dtype=torch.long)  # [B, L]
        for i, it in enumerate(items):
            labels[i, : len(it["labels"])] = torch.tensor(it["labels"])
        batch["labels"] = labels
        return batch


def hf_run(data: Path, out: Path, epochs: int, batch_size: int) -> tuple[float, float]:
    from transformers import Trainer, TrainingArguments, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC

    from sshr_cli.audio import load_audio
    from sshr_cli.data.dataset import normalize_wave
    from sshr_cli.data.manifest import load_manifest, manifest_path, prepared_langs
    from sshr_cli.text.vocab import Vocab

    vocab = Vocab.load(data / "vocab.json")
    rows = [r for lang in prepared_langs(data) for r in load_manifest(manifest_path(data, lang, "train"))]
    items = [{"input_values": normalize_wave(load_audio(r["audio_filepath"])),
              "labels": vocab.encode(r["units"].split())} for r in rows]
    encoder = out / "probe" / "tiny_encoder"  # the encoder sshr wrote, so both start from the same weights
    model = Wav2Vec2ForCTC.from_pretrained(encoder, vocab_size=len(vocab), pad_token_id=0, ctc_zero_infinity=True,
                                           ctc_loss_reduction="mean", mask_time_prob=0.0, final_dropout=0.0)
    fe = Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=False, return_attention_mask=True)
    targs = TrainingArguments(output_dir=str(out / "hf"), per_device_train_batch_size=batch_size,
                              num_train_epochs=epochs, train_sampling_strategy="group_by_length",
                              learning_rate=1e-3, warmup_steps=5, save_strategy="no", eval_strategy="no",
                              logging_steps=10_000, report_to=[], use_cpu=not torch.cuda.is_available(),
                              dataloader_num_workers=0, disable_tqdm=True)
    trainer = Trainer(model=model, args=targs, train_dataset=items, data_collator=_Collator(fe),
                      processing_class=fe)
    t0 = time.perf_counter()
    trainer.train()
    return epochs * sum(r["duration"] for r in rows), time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="a prepared data folder (default: generate one)")
    p.add_argument("--clips", type=int, default=30, help="clips per language when generating")
    p.add_argument("--epochs", type=int, default=3)
    args = p.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = prepared_data(args, tmp)
        audio, wall, per_batch = sshr_run(data, tmp, args.epochs, "ctc")
        sshr_rate = audio / wall
        audio_s, wall_s, _ = sshr_run(data, tmp, args.epochs, "sshr")
        hf_audio, hf_wall = hf_run(data, tmp, args.epochs, per_batch)
        hf_rate = hf_audio / hf_wall
    print(f"{args.epochs} epochs of {audio / args.epochs:.0f} s audio; HF batch size {per_batch}")
    print(f"sshr finetune (arch=ctc)   {sshr_rate:8.1f} audio-s/s  ({wall:.1f} s wall)")
    print(f"sshr finetune (arch=sshr)  {audio_s / wall_s:8.1f} audio-s/s  ({wall_s:.1f} s wall)")
    print(f"HF Trainer + Wav2Vec2ForCTC {hf_rate:7.1f} audio-s/s  ({hf_wall:.1f} s wall)")
    print(f"sshr / HF: {sshr_rate / hf_rate:.2f}x (goal >= 1.5)")


if __name__ == "__main__":
    main()
