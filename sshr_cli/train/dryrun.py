"""`sshr finetune --dry-run`: check a recipe against the data before paying for GPUs.

    report = dry_run(plan.request)      # reads the recipe and the data, builds the epoch plan
    for line in report.lines(): print(line)

It builds (or reuses) the data index and the first epoch's plan exactly as training would, and
reports batches per epoch and rank, the padding, hours per language, what was skipped and why,
the index's size and the epochs that train.max_steps will take. It reads the encoder's
config.json for its conv stack (which decides the "more labels than frames" skips) but loads no
weights, and writes nothing in the run folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from sshr_cli.config import TINY_ENCODER
from sshr_cli.data.index import MMS_CONV_KERNELS, MMS_CONV_STRIDES, open_index
from sshr_cli.data.manifest import check_langs, prepared_units, vocab_path
from sshr_cli.errors import ConfigError
from sshr_cli.text.vocab import Vocab
from sshr_cli.data.sampler import train_sampler
from sshr_cli.train.request import FinetuneRequest


@dataclass(frozen=True)
class DryRunReport:
    units: str
    world_size: int
    train_utterances: int
    dev_utterances: int
    batches_per_rank: int  # per epoch (epoch 0's plan)
    padding_fraction: float
    train_hours: dict[str, float]
    dev_hours: dict[str, float]
    skip_lines: tuple[str, ...]
    index_bytes: int  # train + dev columns, as mapped
    max_steps: int
    grad_accum: int
    index_dir: Path
    skipped: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def epochs(self) -> float:
        """Epochs that train.max_steps updates take (grad_accum batches per update)."""
        return self.max_steps * self.grad_accum / max(self.batches_per_rank, 1)

    def lines(self) -> list[str]:
        hours = ", ".join(f"{lang} {h:.2f} h" for lang, h in self.train_hours.items())
        dev = ", ".join(f"{lang} {h:.2f} h" for lang, h in self.dev_hours.items())
        return [f"train: {self.train_utterances} utterances ({hours})",
                f"dev: {self.dev_utterances} utterances ({dev})",
                *self.skip_lines,
                f"{self.batches_per_rank} batches per epoch and rank ({self.world_size} rank(s)), "
                f"padding {100 * self.padding_fraction:.1f}%",
                f"train.max_steps={self.max_steps} x grad_accum {self.grad_accum}: {self.epochs:.2f} epoch(s)",
                f"index: {self.index_bytes / 2**20:.1f} MiB memory-mapped ({self.index_dir.parent})",
                "dry run: no weights loaded, nothing trained or written to the run folder"]


def encoder_conv(encoder: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(conv kernels, conv strides) of an encoder, from its config.json alone (no weights)."""
    if encoder == TINY_ENCODER:
        from sshr_cli.model.tiny import FILTERBANK_FRONT_END

        return tuple(FILTERBANK_FRONT_END["conv_kernel"]), tuple(FILTERBANK_FRONT_END["conv_stride"])
    from sshr_cli.hub import resolve_model_dir

    path = Path(resolve_model_dir(encoder)) / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the encoder's config ({exc}); pass --model with an HF "
                          f"wav2vec2-family folder or id") from exc
    return (tuple(config.get("conv_kernel", MMS_CONV_KERNELS)), tuple(config.get("conv_stride", MMS_CONV_STRIDES)))


def dry_run(req: FinetuneRequest, world_size: int | None = None) -> DryRunReport:
    """See the module docstring; `world_size` defaults to torchrun's WORLD_SIZE (else 1)."""
    cfg, data_dir = req.recipe, Path(req.data_dir)
    world = world_size or int(os.environ.get("WORLD_SIZE", "1"))
    units = prepared_units(data_dir)
    vocab = Vocab.load(vocab_path(data_dir))
    langs = check_langs(data_dir, cfg.data.langs, (cfg.data.train_split, cfg.data.dev_split))
    kernels, strides = encoder_conv(cfg.model.encoder or req.model)
    args = dict(kernels=kernels, strides=strides)
    train = open_index(data_dir, langs, cfg.data.train_split, vocab, max_duration=cfg.data.max_train_duration, **args)
    dev = open_index(data_dir, langs, cfg.data.dev_split, vocab, **args)
    sampler = train_sampler(cfg, train.durations, rank=0, world_size=world)
    return DryRunReport(
        units=units, world_size=world, train_utterances=len(train), dev_utterances=len(dev),
        batches_per_rank=sampler.batches_per_epoch(), padding_fraction=sampler.padding_fraction(0),
        train_hours=train.hours_by_lang(), dev_hours=dev.hours_by_lang(),
        skip_lines=tuple(train.skipped.lines(cfg.data.train_split) + dev.skipped.lines(cfg.data.dev_split)),
        index_bytes=train.nbytes() + dev.nbytes(), max_steps=cfg.train.max_steps, grad_accum=cfg.optim.grad_accum,
        index_dir=train.folder, skipped={"train": train.skipped.counts, "dev": dev.skipped.counts})
