"""What a training run is built from: the model, the data (sets, samplers, loaders) and the optimiser.

    model = build_model(cfg, langs, vocab, out, model_id, info, resume_from)
    data = load_data(cfg, data_dir, langs, vocab, model, info)     # TrainData
    opt = build_optim(model, cfg, info)                             # Optim
    loader = make_loader(data.train_set, data.sampler, cfg, info)

Every function here is pure setup: nothing trains, nothing is saved but the tiny encoder that a
"tiny" recipe writes into the run folder.
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import torch

from sshr_cli.config import TINY_ENCODER, RunConfig
from sshr_cli.data.dataset import SpeechDataset, collate
from sshr_cli.data.sampler import DurationBatchSampler, train_sampler
from sshr_cli.data.index import SpeechIndex, open_index
from sshr_cli.data.subset import balanced_subset
from sshr_cli.model.inference import amp_dtype, attention_backends
from sshr_cli.text.vocab import Vocab
from sshr_cli.train import checkpoint as ckpt
from sshr_cli.train import distributed
from sshr_cli.train.schedule import make_scheduler

TINY_ENCODER_DIR = "tiny_encoder"  # OUT/tiny_encoder/: the random encoder of a "tiny" recipe


# ---------------------------------------------------------------- model
def build_model(cfg: RunConfig, langs: list[str], vocab: Vocab, out: Path, model_id: str,
                info: distributed.DistInfo, resume_from: Path | None):
    """SSHRForCTC from the checkpoint to resume, else new heads on the recipe's (or --model's) encoder."""
    from sshr_cli.model.config import SSHRConfig
    from sshr_cli.model.sshr import SSHRForCTC

    if resume_from is not None:
        return SSHRForCTC.from_pretrained(resume_from)
    config = SSHRConfig(**cfg.model.sshr_fields(), languages=tuple(langs))
    return SSHRForCTC.from_encoder(str(encoder_dir(cfg, out, model_id, info)), config, vocab)


def encoder_dir(cfg: RunConfig, out: Path, model_id: str, info: distributed.DistInfo) -> Path:
    """The encoder folder: OUT/tiny_encoder/ (written by rank 0) for "tiny", else a resolved HF id/folder."""
    from sshr_cli.hub import resolve_model_dir

    if cfg.model.encoder == TINY_ENCODER:
        folder = out / TINY_ENCODER_DIR
        if info.is_main and not (folder / "config.json").is_file():
            from sshr_cli.model.tiny import save_tiny_encoder

            save_tiny_encoder(folder, seed=cfg.train.seed, front_end="filterbank")
        distributed.barrier(info)
        return folder
    return resolve_model_dir(cfg.model.encoder or model_id)


# ---------------------------------------------------------------- data
@dataclass
class TrainData:
    train_set: SpeechDataset
    dev_set: SpeechDataset
    sampler: DurationBatchSampler  # this rank's shard of the train batches
    dev_sampler: DurationBatchSampler | None  # None: no dev utterances
    unigrams: list[str]  # train words, most frequent first (saved with every checkpoint)
    subset: SpeechDataset | None = None  # train.eval_max_utterances' dev subset; None: the full dev set
    subset_sampler: DurationBatchSampler | None = None
    skipped: dict[str, dict[str, int]] = field(default_factory=dict)  # split -> reason -> n
    skip_lines: list[str] = field(default_factory=list)  # what was skipped, one line per reason


def open_indexes(cfg: RunConfig, data_dir: Path, langs: list[str], vocab: Vocab, kernels, strides,
                 info: distributed.DistInfo) -> tuple[SpeechIndex, SpeechIndex]:
    """The train and dev indexes (sshr_cli.data.index): rank 0 builds what is missing, the others wait."""
    d = cfg.data

    def both(build: bool) -> tuple[SpeechIndex, SpeechIndex]:
        args = dict(kernels=tuple(kernels), strides=tuple(strides), build=build)
        return (open_index(data_dir, langs, d.train_split, vocab, max_duration=d.max_train_duration, **args),
                open_index(data_dir, langs, d.dev_split, vocab, **args))

    indexes = both(build=True) if info.is_main else None
    distributed.barrier(info)
    return indexes or both(build=False)


def load_data(cfg: RunConfig, data_dir: Path, langs: list[str], vocab: Vocab, model,
              info: distributed.DistInfo) -> TrainData:
    """Train and dev sets from the manifests' index, with the batch samplers that feed them."""
    d, enc = cfg.data, model.encoder_config
    train, dev = open_indexes(cfg, data_dir, langs, vocab, enc.conv_kernel, enc.conv_stride, info)
    subset = dev_subset(cfg, dev)
    return TrainData(SpeechDataset(train, cache_audio=d.cache_audio), SpeechDataset(dev, cache_audio=d.cache_audio),
                     train_sampler(cfg, train.durations, info.rank, info.world_size), dev_sampler(cfg, dev.durations, model),
                     train.unigrams, subset=subset,
                     subset_sampler=dev_sampler(cfg, subset.durations, model) if subset is not None else None,
                     skipped={"train": train.skipped.counts, "dev": dev.skipped.counts},
                     skip_lines=train.skipped.lines(d.train_split) + dev.skipped.lines(d.dev_split))


def dev_subset(cfg: RunConfig, dev: SpeechIndex) -> SpeechDataset | None:
    """The dev subset of train.eval_max_utterances (None when unset or not smaller than the dev set)."""
    n = cfg.train.eval_max_utterances
    if n is None or n >= len(dev):
        return None
    rows = balanced_subset(dev.lang_ids, len(dev.langs), n, cfg.train.seed)
    return SpeechDataset(dev, rows=rows, cache_audio=cfg.data.cache_audio)


def dev_sampler(cfg: RunConfig, durations, model) -> DurationBatchSampler | None:
    """Dev batches in a fixed order; None for no utterances. One utterance per batch when padding
    changes the encoder's output, so that the dev error is the one `sshr decode` + `sshr score`
    give for the same checkpoint."""
    if not len(durations):
        return None
    size = 1 if model.padding_sensitive else cfg.data.max_batch_size
    return DurationBatchSampler(durations, max_batch_seconds=cfg.train.eval_max_batch_seconds,
                                max_batch_size=size, shuffle=False)


def make_loader(dataset, sampler, cfg: RunConfig, info: distributed.DistInfo):
    workers = cfg.data.num_workers
    return torch.utils.data.DataLoader(
        dataset, batch_sampler=sampler, collate_fn=collate, num_workers=workers,
        pin_memory=info.device.startswith("cuda"), persistent_workers=workers > 0,
        generator=torch.Generator().manual_seed(cfg.train.seed))  # never draws from the global RNG


# ---------------------------------------------------------------- optimiser
@dataclass
class Optim:
    encoder_params: list
    head_params: list
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler  # enabled for fp16 only
    amp_dtype: torch.dtype | None  # autocast dtype on GPU; None = fp32

    def state_dict(self) -> dict:
        return {"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])


def build_optim(model, cfg: RunConfig, info: distributed.DistInfo) -> Optim:
    """AdamW with two parameter groups (encoder, heads), the tri-stage schedule and the fp16 scaler."""
    o = cfg.optim
    encoder_params = [p for p in model.encoder_parameters() if p.requires_grad]
    head_params = [p for p in model.head_parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [{"params": encoder_params, "lr": o.lr_encoder, "name": "encoder"},
         {"params": head_params, "lr": o.lr_heads, "name": "heads"}],
        betas=tuple(o.betas), eps=o.eps, weight_decay=o.weight_decay,
        fused=True)  # one kernel per step (CPU too: the per-tensor loop cost ~25% of a CPU step)
    dtype = amp_dtype(cfg.train.precision, info.device)
    return Optim(encoder_params, head_params, optimizer,
                 scheduler=make_scheduler(optimizer, cfg.train.max_steps, cfg.schedule),
                 scaler=torch.amp.GradScaler("cuda", enabled=dtype == torch.float16), amp_dtype=dtype)


@contextmanager
def autocast(dtype: torch.dtype | None, device: str):
    """bf16/fp16 autocast on GPU, and attention kernels without per-shape setup (attention_backends)."""
    amp = nullcontext() if dtype is None else torch.autocast("cuda", dtype=dtype)
    with amp, attention_backends(device):
        yield
