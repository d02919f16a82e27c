"""Audio seconds per second: `sshr finetune` against HF Trainer + Wav2Vec2ForCTC (group_by_length).

    python bench/train_vs_hf.py --data DATA [--epochs 3]      # DATA: prepared by `sshr prepare`
    python bench/train_vs_hf.py --clips 30                     # generates an en+de corpus first
    python bench/train_vs_hf.py --data DATA --device cuda --encoder ENC --batch-seconds 96   # GPU, bf16

Same tiny random encoder, same training manifests, same number of epochs, plain CTC on both
sides (sshr's arch=ctc is exactly Wav2Vec2ForCTC; the SSHR arch is timed too). HF gets what its
example script does: a fixed per-device batch size (the mean of sshr's duration buckets, so both
see the same utterances per step on average), group_by_length, no evaluation and no checkpoints
during training. Both sides do the same work inside the timer: audio is decoded before it starts
(HF's script maps the dataset up front; sshr's audio cache is filled up front), models and data
are built before it, and the clock runs from the end of the first update (warm-up, excluded on
both sides) to the end of the last one, counting the audio of the batches in between. So sshr's
final dev evaluation and checkpoint are outside the clock too; its whole-run wall time is printed
beside. Prints audio-s/s and the ratio (goal >= 1.5).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from _result import result  # noqa: E402  (bench/ is on sys.path when run as a script)

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


def steady_rate(stamps: list[float], step_audio: list[float]) -> tuple[float, float]:
    """(audio seconds, wall seconds) from the end of update 1 to the end of the last update."""
    if len(stamps) < 2 or len(stamps) != len(step_audio):
        raise SystemExit(f"bench: {len(stamps)} update times for {len(step_audio)} batches; need >= 2, equal")
    return sum(step_audio[1:]), stamps[-1] - stamps[0]


def encoder_layers(folder: str) -> int:
    import json

    return json.loads((Path(folder) / "config.json").read_text())["num_hidden_layers"]


def sshr_overrides(args, arch: str) -> list[str]:
    """The tiny recipe, or on a GPU the given encoder in bf16 with larger batches; plain CTC or SSHR."""
    sets = [f"model.arch={arch}"]
    if arch == "ctc":  # exactly Wav2Vec2ForCTC: no LID frame, all layers, no Cross-CTC
        sets += ["model.lid_layer=null", "model.num_layers=null", "model.cross_ctc_layers=[]",
                 "model.inter_ctc_weight=0.0", "model.lid_weight=0.0"]
    elif args.encoder and encoder_layers(args.encoder) == 24:  # the paper's layout on MMS-300M's 24 layers
        sets += ["model.lid_layer=8", "model.num_layers=22", "model.cross_ctc_layers=[18,20,22]"]
    if args.encoder:  # a real-sized encoder: the Common Voice recipe's learning rates, not the tiny recipe's 3e-3
        sets += [f"model.encoder={args.encoder}", "optim.lr_encoder=5e-5", "optim.lr_heads=5e-4"]
    if args.batch_seconds:
        sets += [f"data.max_batch_seconds={args.batch_seconds}", "data.max_batch_size=64"]
    return sets + [f"train.precision={'bf16' if args.device == 'cuda' else 'fp32'}"]


def sshr_run(data: Path, out: Path, epochs: int, arch: str, args=None) -> dict:
    """Steady-state audio and seconds, whole-run wall seconds, mean utterances per batch."""
    from sshr_cli.config import load_recipe
    from sshr_cli.train.loop import FinetuneRequest, Trainer
    from sshr_cli.train import distributed

    sets = sshr_overrides(args, arch)
    base = load_recipe(RECIPE, sets)
    info = distributed.setup(prefer_cuda=args.device == "cuda")
    probe = Trainer(FinetuneRequest(base, data, out / "probe", "unused", show_progress=False), info)
    batches = [b for e in range(epochs) for b in probe.sampler.plan(e)]
    step_audio = [sum(float(probe.train_set.durations[i]) for i in b) for b in batches]
    per_batch = int(round(np.mean([len(b) for b in batches])))
    steps = len(batches)
    recipe = load_recipe(RECIPE, [*sets, f"train.max_steps={steps}", f"train.eval_every={steps}",
                                  f"train.log_every={steps}"])
    trainer = Trainer(FinetuneRequest(recipe, data, out / arch, "unused", show_progress=False), info)
    for i in range(len(trainer.train_set)):  # decode up front (the recipe caches audio), as HF's side does
        trainer.train_set[i]
    done: dict[int, float] = {}  # update -> time it ended; a skipped (NaN) update calls on_step again with the same number
    t0 = time.perf_counter()
    trainer.run(on_step=lambda step: done.__setitem__(step, time.perf_counter()))
    stamps = [done[k] for k in sorted(done)]
    if trainer.state.bad_steps_total:
        print(f"note: {trainer.state.bad_steps_total} update(s) skipped for a NaN/inf loss ({arch})")
    wall = time.perf_counter() - t0
    audio, seconds = steady_rate(stamps, step_audio)
    return dict(audio=audio, seconds=seconds, wall=wall, per_batch=per_batch)


class _Collator:
    """What the HF example script's DataCollatorCTCWithPadding does."""

    def __init__(self, feature_extractor):
        self.fe = feature_extractor
        self.audio = []  # seconds of audio per batch, in the order the trainer consumes them

    def __call__(self, items):
        self.audio.append(sum(len(it["input_values"]) for it in items) / 16000)
        batch = self.fe.pad([{"input_values": it["input_values"]} for it in items], padding=True,
                            return_tensors="pt", return_attention_mask=True)
        longest = max(len(it["labels"]) for it in items)
        labels = torch.full((len(items), longest), -100, dtype=torch.long)  # [B, L]
        for i, it in enumerate(items):
            labels[i, : len(it["labels"])] = torch.tensor(it["labels"])
        batch["labels"] = labels
        return batch


def hf_learning_rate(args) -> float:
    """The tiny recipe's scale for the tiny encoder; for a given (300M-sized) encoder 1e-4, between the
    Common Voice recipe's encoder and head rates (1e-3 and 3e-3 made such a model NaN in bf16)."""
    return 1e-4 if args.encoder else 1e-3


def hf_run(data: Path, out: Path, epochs: int, batch_size: int, args=None) -> dict:
    from transformers import Trainer, TrainerCallback, TrainingArguments, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC

    from sshr_cli.audio import load_audio
    from sshr_cli.data.dataset import normalize_wave
    from sshr_cli.data.manifest import load_manifest, manifest_path, prepared_langs
    from sshr_cli.text.vocab import Vocab

    vocab = Vocab.load(data / "vocab.json")
    rows = [r for lang in prepared_langs(data) for r in load_manifest(manifest_path(data, lang, "train"))]
    items = [{"input_values": normalize_wave(load_audio(r["audio_filepath"])),
              "labels": vocab.encode(r["units"].split())} for r in rows]
    # the encoder sshr wrote (or was given), so both start from the same weights
    encoder = Path(args.encoder) if args.encoder else out / "probe" / "tiny_encoder"
    model = Wav2Vec2ForCTC.from_pretrained(encoder, vocab_size=len(vocab), pad_token_id=0, ctc_zero_infinity=True,
                                           ctc_loss_reduction="mean", mask_time_prob=0.0, final_dropout=0.0)
    model.freeze_feature_encoder()  # the HF example script's default (--freeze_feature_encoder True), as sshr's recipes
    fe = Wav2Vec2FeatureExtractor(sampling_rate=16000, do_normalize=False, return_attention_mask=True)
    targs = TrainingArguments(output_dir=str(out / "hf"), per_device_train_batch_size=batch_size,
                              num_train_epochs=epochs, train_sampling_strategy="group_by_length",
                              learning_rate=hf_learning_rate(args), warmup_steps=5, save_strategy="no", eval_strategy="no",
                              logging_steps=10_000, report_to=[], use_cpu=args.device != "cuda",
                              bf16=args.device == "cuda",
                              dataloader_num_workers=0, disable_tqdm=True)
    stamps, collator = [], _Collator(fe)

    class Stamp(TrainerCallback):
        def on_step_end(self, *_, **__):
            stamps.append(time.perf_counter())

    trainer = Trainer(model=model, args=targs, train_dataset=items, data_collator=collator,
                      processing_class=fe, callbacks=[Stamp()])
    t0 = time.perf_counter()
    trainer.train()
    wall = time.perf_counter() - t0
    audio, seconds = steady_rate(stamps, collator.audio[:len(stamps)])
    return dict(audio=audio, seconds=seconds, wall=wall)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="a prepared data folder (default: generate one)")
    p.add_argument("--clips", type=int, default=30, help="clips per language when generating")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="cuda: both sides bf16")
    p.add_argument("--encoder", help="an encoder folder for both sides (default: the tiny recipe's)")
    p.add_argument("--archs", default="ctc,sshr", help="sshr's archs to time (ctc, the like-for-like one, always)")
    p.add_argument("--batch-seconds", type=float, help="sshr's data.max_batch_seconds (HF gets the same mean batch)")
    args = p.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = prepared_data(args, tmp)
        names = {"ctc": "sshr finetune (arch=ctc) ", "sshr": "sshr finetune (arch=sshr)"}
        runs = {names[arch]: sshr_run(data, tmp, args.epochs, arch, args)
                for arch in ["ctc", *(["sshr"] if "sshr" in args.archs.split(",") else [])]}
        per_batch = runs["sshr finetune (arch=ctc) "]["per_batch"]
        runs["HF Trainer + Wav2Vec2ForCTC"] = hf_run(data, tmp, args.epochs, per_batch, args)
    rate = {k: r["audio"] / r["seconds"] for k, r in runs.items()}
    print(f"device {args.device}, {args.epochs} epochs; HF batch size {per_batch}; timed from the end of update 1 "
          f"to the last update")
    for name, r in runs.items():
        print(f"{name:28s} {rate[name]:8.1f} audio-s/s  ({r['audio']:.0f} s audio in {r['seconds']:.1f} s; "
              f"whole run {r['wall']:.1f} s)")
    ratio = rate["sshr finetune (arch=ctc) "] / rate["HF Trainer + Wav2Vec2ForCTC"]
    print(f"sshr / HF: {ratio:.2f}x (goal >= 1.5)")
    hf = rate["HF Trainer + Wav2Vec2ForCTC"]
    result("3", f"finetune audio-s/s, arch=ctc ({args.device})", rate["sshr finetune (arch=ctc) "], hf,
           "HF Trainer + Wav2Vec2ForCTC (group_by_length)", ">=1.5", "audio-s/s", f"{args.epochs} epochs")
    if "sshr finetune (arch=sshr)" in rate:
        result("3", f"finetune audio-s/s, arch=sshr ({args.device})", rate["sshr finetune (arch=sshr)"], hf,
               "HF Trainer + Wav2Vec2ForCTC (group_by_length)", "", "audio-s/s", "SSHR does more work per step")


if __name__ == "__main__":
    main()
