"""`sshr finetune` as a library call: prepared manifests + a recipe -> a run folder.

    result = finetune(FinetuneRequest(recipe=load_recipe("synthetic/tiny"), data_dir=Path("data"),
                                      out_dir=Path("exp/tiny"), model="facebook/mms-300m"))

OUT/ gets best/ and last/ (checkpoint folders, see train/checkpoint.py), metrics.jsonl, tb/,
config.yaml (the resolved recipe) and curves.png. Under torchrun every rank runs this function;
rank 0 alone logs, evaluates and saves, and the others wait for its decisions.
"""

from __future__ import annotations

import dataclasses
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from sshr_cli.config import TINY_ENCODER, RunConfig, dump_yaml, from_dict
from sshr_cli.data.dataset import (DurationBatchSampler, SpeechDataset, collate, conv_frames,
                                   load_utterances)
from sshr_cli.data.manifest import manifest_path, prepared_langs, report_path, vocab_path
from sshr_cli.errors import CheckpointError, ConfigError, DataError, SshrError
from sshr_cli.io import write_text
from sshr_cli.model.inference import amp_dtype, attention_backends
from sshr_cli.model.sshr import check_targets
from sshr_cli.text.vocab import Vocab
from sshr_cli.train import checkpoint as ckpt
from sshr_cli.train import distributed
from sshr_cli.train.evaluate import DevResult, dev_error, greedy_ids
from sshr_cli.train.logs import MetricsLog, ProgressBar, plot_curves
from sshr_cli.train.schedule import make_scheduler

RUN_CONFIG_FILE = "config.yaml"
TINY_ENCODER_DIR = "tiny_encoder"
DATA_WAIT_WARN = 0.3  # fraction of a log window spent waiting for batches before a hint is printed


class TrainingError(SshrError):
    """The run cannot go on (e.g. the loss stayed NaN/inf); the last complete checkpoint is kept."""


@dataclass(frozen=True)
class FinetuneRequest:
    recipe: RunConfig
    data_dir: Path
    out_dir: Path
    model: str  # HF id or folder of the encoder to start from (ignored when the recipe says "tiny")
    resume: bool | None = None  # None: resume if OUT/last/ has a trainer state, else start
    show_progress: bool = True


@dataclass
class FinetuneResult:
    out_dir: Path
    step: int
    metric: str
    best_error: float | None
    best_step: int | None
    padding_fraction: float
    bad_steps: int
    stopped: str  # "max_steps" | "early_stopping" | "time_limit" | "already_done"
    skipped: dict[str, dict[str, int]] = field(default_factory=dict)  # split -> reason -> n


@dataclass
class State:
    """Everything that changes during training and must survive a resume."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0  # micro-batches of `epoch` consumed by completed updates
    best_error: float | None = None
    best_step: int | None = None
    evals_without_gain: int = 0
    bad_steps_total: int = 0


def finetune(req: FinetuneRequest, console=None, on_step: Callable[[int], None] | None = None) -> FinetuneResult:
    """Train until recipe.train.max_steps (see the module docstring)."""
    info = distributed.setup()
    try:
        trainer = Trainer(req, info, console)
        return trainer.run(on_step)
    finally:
        distributed.teardown()


class Trainer:
    def __init__(self, req: FinetuneRequest, info: distributed.DistInfo, console=None):
        self.req, self.info, self.out = req, info, Path(req.out_dir)
        self.console = console if info.is_main else None
        self._consecutive_bad = 0
        self._rng_to_restore = None
        resume_from = self._resume_folder()
        self.cfg = self._recipe(resume_from)
        self.units = _units(req.data_dir)
        self.vocab = Vocab.load(vocab_path(req.data_dir))
        self.langs = _languages(req.data_dir, self.cfg.data.langs, self.cfg.data)
        self.state = State()
        ckpt.seed_everything(self.cfg.train.seed)  # the same new heads on every rank
        self.model = self._model(resume_from).to(info.device)
        ckpt.seed_everything(self.cfg.train.seed + info.rank)  # dropout/masking differ between ranks
        self._data()
        self._optim()
        if resume_from is not None:
            self._restore(resume_from)
        self.ddp = self._wrap()

    def say(self, message: str) -> None:
        if self.console is not None:
            self.console.print(message, soft_wrap=True)

    # ---------------------------------------------------------------- setup
    def _resume_folder(self) -> Path | None:
        if self.info.is_main:
            ckpt.remove_stale_temps(self.out) if self.out.is_dir() else None
        distributed.barrier(self.info)
        found = ckpt.resumable(self.out)
        if self.req.resume is False or found is None:
            if self.req.resume and found is None:
                raise CheckpointError(f"--resume: {self.out}/last/ has no trainer_state.pt; drop --resume to start")
            return None
        return found

    def _recipe(self, resume_from: Path | None) -> RunConfig:
        cfg = self.req.recipe
        if resume_from is None:
            return cfg
        import yaml

        saved = from_dict(yaml.safe_load((resume_from / ckpt.RECIPE_FILE).read_text(encoding="utf-8")),
                          where=str(resume_from / ckpt.RECIPE_FILE))
        saved = dataclasses.replace(saved, train=dataclasses.replace(saved.train, max_minutes=cfg.train.max_minutes))
        changed = _diff(saved.to_dict(), cfg.to_dict())  # a time limit belongs to an invocation, not the recipe
        if changed:
            raise ConfigError(f"{self.out} was trained with a different recipe ({', '.join(changed[:4])}); "
                              f"resume with the same recipe, or pass --no-resume or another --out")
        return saved

    def _model(self, resume_from: Path | None):
        from sshr_cli.model.config import SSHRConfig
        from sshr_cli.model.sshr import SSHRForCTC

        if resume_from is not None:
            return SSHRForCTC.from_pretrained(resume_from)
        config = SSHRConfig(**self.cfg.model.sshr_fields(), languages=tuple(self.langs))
        return SSHRForCTC.from_encoder(str(self._encoder_dir()), config, self.vocab)

    def _encoder_dir(self) -> Path:
        from sshr_cli.hub import resolve_model_dir

        if self.cfg.model.encoder == TINY_ENCODER:
            folder = self.out / TINY_ENCODER_DIR
            if self.info.is_main and not (folder / "config.json").is_file():
                from sshr_cli.model.tiny import save_tiny_encoder

                save_tiny_encoder(folder, seed=self.cfg.train.seed, front_end="filterbank")
            distributed.barrier(self.info)
            return folder
        return resolve_model_dir(self.cfg.model.encoder or self.req.model)

    def _data(self) -> None:
        cfg, enc = self.cfg, self.model.encoder_config
        frames_of = lambda n: conv_frames(n, enc.conv_kernel, enc.conv_stride)  # noqa: E731
        train, skip_train = load_utterances(self.req.data_dir, self.langs, cfg.data.train_split, self.vocab,
                                            frames_of, cfg.data.max_train_duration)
        dev, skip_dev = load_utterances(self.req.data_dir, self.langs, cfg.data.dev_split, self.vocab, frames_of)
        self.skipped = {"train": skip_train.counts, "dev": skip_dev.counts}
        for line in skip_train.lines(cfg.data.train_split) + skip_dev.lines(cfg.data.dev_split):
            self.say(f"[yellow]{line}[/]")
        self.train_set = SpeechDataset(train, cfg.data.cache_audio)
        self.dev_set = SpeechDataset(dev, cfg.data.cache_audio)
        self.sampler = DurationBatchSampler([u.duration for u in train], cfg.data.max_batch_seconds,
                                            cfg.data.max_batch_size, cfg.train.seed, cfg.data.duration_jitter,
                                            True, self.info.rank, self.info.world_size)
        # one utterance per dev batch when padding changes the encoder's output, so that the dev
        # error is the one `sshr decode` + `sshr score` give for the same checkpoint
        dev_batch = 1 if self.model.padding_sensitive else cfg.data.max_batch_size
        self.dev_sampler = DurationBatchSampler([u.duration for u in dev], cfg.train.eval_max_batch_seconds,
                                                dev_batch, shuffle=False) if dev else None
        self.unigrams = ckpt.unigram_list(u.text for u in train)

    def _loader(self, dataset, sampler):
        workers = self.cfg.data.num_workers
        return torch.utils.data.DataLoader(
            dataset, batch_sampler=sampler, collate_fn=collate, num_workers=workers,
            pin_memory=self.info.device.startswith("cuda"), persistent_workers=workers > 0,
            generator=torch.Generator().manual_seed(self.cfg.train.seed))  # never draws from the global RNG

    def _optim(self) -> None:
        o = self.cfg.optim
        self.encoder_params = [p for p in self.model.encoder_parameters() if p.requires_grad]
        self.head_params = [p for p in self.model.head_parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(
            [{"params": self.encoder_params, "lr": o.lr_encoder, "name": "encoder"},
             {"params": self.head_params, "lr": o.lr_heads, "name": "heads"}],
            betas=tuple(o.betas), eps=o.eps, weight_decay=o.weight_decay,
            fused=True)  # one kernel per step (CPU too: the per-tensor loop cost ~25% of a CPU step)
        self.scheduler = make_scheduler(self.optimizer, self.cfg.train.max_steps, self.cfg.schedule)
        self.amp_dtype = amp_dtype(self.cfg.train.precision, self.info.device)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)
        if self.info.device == "cpu" and self.cfg.train.precision in ("bf16", "fp16"):
            self.say(f"[yellow]train.precision={self.cfg.train.precision} applies on GPU only; this CPU run is fp32[/]")
        self.encoder_frozen = False

    def _wrap(self):
        """DDP wrapper (rebuilt when the encoder is unfrozen, since DDP fixes its parameter set)."""
        self._freeze_encoder(self.state.step < self.cfg.train.freeze_encoder_steps)
        if not self.info.enabled:
            return self.model
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.info.local_rank] if self.info.device.startswith("cuda") else None
        return DistributedDataParallel(self.model, device_ids=ids)

    def _freeze_encoder(self, frozen: bool) -> None:
        for p in self.encoder_params:
            p.requires_grad_(not frozen)
        self.encoder_frozen = frozen

    # ---------------------------------------------------------------- state
    def _trainer_state(self) -> dict:
        s = self.state
        return {"step": s.step, "epoch": s.epoch, "batch_in_epoch": s.batch_in_epoch,
                "best_error": s.best_error, "best_step": s.best_step,
                "evals_without_gain": s.evals_without_gain, "bad_steps_total": s.bad_steps_total,
                "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(), "rng": ckpt.rng_state()}

    def _restore(self, folder: Path) -> None:
        t = ckpt.load_trainer_state(folder)
        if Vocab.load(folder) != self.vocab:
            raise CheckpointError(f"{folder}/vocab.json differs from {vocab_path(self.req.data_dir)}; "
                                  f"this run was trained on other data: pass --no-resume or another --out")
        self.state = State(t["step"], t["epoch"], t["batch_in_epoch"], t["best_error"], t["best_step"],
                           t["evals_without_gain"], t["bad_steps_total"])
        self.optimizer.load_state_dict(t["optimizer"])
        self.scheduler.load_state_dict(t["scheduler"])
        self.scaler.load_state_dict(t["scaler"])
        self._rng_to_restore = t["rng"]  # applied just before the first update (see run)
        self.say(f"resuming {self.out} from update {self.state.step} "
                 f"(epoch {self.state.epoch}, batch {self.state.batch_in_epoch})")

    # ---------------------------------------------------------------- run
    def run(self, on_step: Callable[[int], None] | None = None) -> FinetuneResult:
        t, s = self.cfg.train, self.state
        if s.step >= t.max_steps:
            self.say(f"{self.out} already finished {s.step} updates; nothing to do")
            return self._result("already_done")
        self._start_run_folder()
        log = MetricsLog(self.out, s.step) if self.info.is_main else None
        bar = ProgressBar(self.console, t.max_steps, s.step, self.req.show_progress and self.console is not None)
        stopped = "max_steps"
        deadline = time.monotonic() + 60 * t.max_minutes if t.max_minutes else None
        window = _Window()
        batches = self._micro_batches()
        if self._rng_to_restore is not None:  # last: setting up logs and loaders may draw random numbers
            ckpt.set_rng_state(self._rng_to_restore)
        try:
            while s.step < t.max_steps:
                self._maybe_unfreeze()
                loss = self._update(window.fetch(batches, self.cfg.optim.grad_accum), window)
                if on_step is not None:
                    on_step(s.step)
                if loss is not None and s.step % t.log_every == 0:
                    self._log_train(log, bar, window)
                evaluated = s.step % t.eval_every == 0 or s.step == t.max_steps
                if evaluated and self._evaluate_and_save(log):
                    stopped = "early_stopping"
                    break
                if s.step < t.max_steps and self._out_of_time(deadline):
                    if not evaluated:
                        self._evaluate_and_save(log)
                    self.say(f"update {s.step}: train.max_minutes={t.max_minutes:g} reached; stopped here "
                             f"(last/ can be continued with --resume)")
                    stopped = "time_limit"
                    break
        finally:
            bar.stop()
            if log is not None:
                log.close()
        if self.info.is_main:
            plot_curves(self.out)
        return self._result(stopped)

    def _start_run_folder(self) -> None:
        if self.info.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            write_text(self.out / RUN_CONFIG_FILE, dump_yaml(self.cfg))
            pad = self.sampler.padding_fraction(self.state.epoch)
            self.say(f"train: {len(self.train_set)} utterances, {len(self.langs)} language(s) "
                     f"({', '.join(self.langs)}), {self.sampler.batches_per_epoch()} batches/epoch/rank, "
                     f"padding {100 * pad:.1f}%; dev: {len(self.dev_set)}; device {self.info.device}"
                     f"{f' x{self.info.world_size}' if self.info.enabled else ''}")

    def _micro_batches(self):
        """Batches forever, epoch after epoch; State.epoch/batch_in_epoch say what was consumed."""
        return self._epochs(self._loader(self.train_set, self.sampler))

    def _epochs(self, loader):
        while True:
            self.sampler.set_epoch(self.state.epoch, self.state.batch_in_epoch)
            for batch in loader:
                yield batch
            self.state.epoch += 1
            self.state.batch_in_epoch = 0

    def _maybe_unfreeze(self) -> None:
        if self.encoder_frozen and self.state.step >= self.cfg.train.freeze_encoder_steps:
            self.ddp = self._wrap()
            self.say(f"update {self.state.step}: encoder unfrozen")

    def _update(self, micro: list, window: "_Window"):
        """One optimizer update over `micro` batches; None if the loss or gradient was NaN/inf (step
        skipped). Losses stay on the device: the only host sync is the finiteness check."""
        total, parts = torch.zeros((), device=self.info.device), {}
        for k, batch in enumerate(micro):
            if self.info.device != "cpu":  # on the host, before the copy (the model checks CPU batches itself)
                check_targets(batch.labels, batch.lang_ids, len(self.model.vocab), len(self.model.sshr_config.languages))
            batch = batch.to(self.info.device)
            sync = k == len(micro) - 1
            with (self.ddp.no_sync() if self.info.enabled and not sync else nullcontext()), self._autocast():
                out = self.ddp(input_values=batch.input_values, attention_mask=batch.attention_mask,
                               labels=batch.labels, lang_ids=batch.lang_ids)
                loss = out.loss / len(micro)
                self.scaler.scale(loss).backward()
            total += loss.detach().float()
            for name, value in (out.losses or {}).items():
                parts[name] = parts.get(name, 0.0) + value.detach().float() / len(micro)
            window.add_batch(batch)
        norm = self._clip_and_step(total)
        if norm is None:
            return self._bad_step(len(micro))
        self.state.step += 1
        self.state.batch_in_epoch += len(micro)
        self._consecutive_bad = 0
        self._rng_to_restore = None
        window.add_update(total, parts, norm)
        return total

    def _clip_and_step(self, loss: torch.Tensor) -> torch.Tensor | None:
        """Unscale, clip and step; None (nothing stepped) for a non-finite loss on any rank, or a
        non-finite gradient without fp16 loss scaling (the scaler skips those steps itself)."""
        self.scaler.unscale_(self.optimizer)
        params = [p for g in self.optimizer.param_groups for p in g["params"] if p.grad is not None]
        max_norm = self.cfg.optim.max_grad_norm
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm if max_norm > 0 else float("inf"))
        loss_ok, norm_ok = torch.isfinite(torch.stack([loss, norm.float()])).tolist()  # the one host sync
        if not distributed.all_true(loss_ok, self.info) or (not norm_ok and not self.scaler.is_enabled()):
            self.optimizer.zero_grad(set_to_none=True)
            if self.scaler.is_enabled():
                self.scaler.update()  # unscale_ was called: close this iteration (and lower the scale)
            return None
        self.scaler.step(self.optimizer)  # fp16: skips the step itself when grads overflowed
        self.scaler.update()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return norm.detach()

    def _bad_step(self, n_micro: int) -> None:
        """A NaN/inf loss: drop the gradients, move past the batches, count, stop after K in a row."""
        self.optimizer.zero_grad(set_to_none=True)
        self.state.batch_in_epoch += n_micro
        self.state.bad_steps_total += 1
        self._consecutive_bad += 1
        k = self.cfg.train.max_bad_steps
        self.say(f"[yellow]update {self.state.step + 1}: loss or gradient is NaN/inf; step skipped "
                 f"({self._consecutive_bad} in a row, {self.state.bad_steps_total} in all)[/]")
        if self._consecutive_bad >= k:
            raise TrainingError(
                f"stopped: {k} consecutive updates had a NaN/inf loss at update {self.state.step} "
                f"(lower optim.lr_heads/lr_encoder, use train.precision=bf16 or fp32, or check the data); "
                f"the last good checkpoint is {self.out / ckpt.LAST}")
        return None

    @contextmanager
    def _autocast(self):
        """bf16/fp16 autocast on GPU, and attention kernels without per-shape setup (attention_backends)."""
        amp = nullcontext() if self.amp_dtype is None else torch.autocast("cuda", dtype=self.amp_dtype)
        with amp, attention_backends(self.info.device):
            yield

    # ---------------------------------------------------------------- log / eval / save
    def _log_train(self, log, bar, window: "_Window") -> None:
        row = window.row(self.state, self.optimizer, self.info)
        self._hint_data_wait(row["data_wait"])
        if log is not None:
            log.write(row)
            bar.update(self.state.step, f"loss {row['loss']:.3f}  lr {row['lr_heads']:.2e}  "
                                        f"{row['audio_s_per_s']:.1f} audio-s/s")

    def _out_of_time(self, deadline: float | None) -> bool:
        """Past train.max_minutes on any rank (all ranks agree, so none waits for the others)."""
        if deadline is None:
            return False
        return not distributed.all_true(time.monotonic() < deadline, self.info)

    def _hint_data_wait(self, share: float) -> None:
        """Once per run: say how to feed the model faster when waiting for batches took > DATA_WAIT_WARN."""
        d = self.cfg.data
        if share <= DATA_WAIT_WARN or getattr(self, "_warned_data_wait", False):
            return
        if d.cache_audio and self.state.epoch == 0:
            return  # the first epoch fills the audio cache
        self._warned_data_wait = True
        fixes = [f"raise data.num_workers (now {d.num_workers})"] + ([] if d.cache_audio else ["set data.cache_audio=true"])
        self.say(f"[yellow]update {self.state.step}: {100 * share:.0f}% of the time went to waiting for audio; "
                 f"{', '.join(fixes)}, or prepare with --resample-to-flac[/]")

    def _evaluate_and_save(self, log) -> bool:
        """Rank 0 evaluates and writes last/ (and best/); returns True when early stopping says stop."""
        stop = False
        if self.info.is_main:
            result = self.evaluate()
            if result is not None:
                log.write(result.row(self.state.step))
                self._report(result)
            stop = self._save(result)
        stop = distributed.broadcast_object(stop, self.info)
        if self.info.enabled:  # the best-error bookkeeping lives in State, on every rank
            s = distributed.broadcast_object(self.state, self.info)
            self.state.best_error, self.state.best_step = s.best_error, s.best_step
            self.state.evals_without_gain = s.evals_without_gain
        return stop

    def _report(self, r: DevResult) -> None:
        langs = "  ".join(f"{lang} {100 * e:.1f}" for lang, e in r.by_lang.items())
        lid = f"  LID {100 * r.lid_accuracy:.1f}%" if r.lid_accuracy is not None else ""
        self.say(f"update {self.state.step}: dev loss {r.loss:.3f}  {r.metric.upper()} "
                 f"{100 * r.error_rate:.2f}% ({langs}){lid}")

    def evaluate(self) -> DevResult | None:
        if self.dev_sampler is None:
            return None
        model, pairs = self.model, []
        loss_sum, n, lid_right, lid_n = 0.0, 0, 0, 0
        was_training = model.training
        model.eval()
        with torch.inference_mode(), self._autocast():
            for batch in self._loader(self.dev_set, self.dev_sampler):
                batch = batch.to(self.info.device)
                out = model(input_values=batch.input_values, attention_mask=batch.attention_mask,
                            labels=batch.labels, lang_ids=batch.lang_ids)
                loss_sum += float(out.loss) * len(batch.indices)
                n += len(batch.indices)
                for i, ids in zip(batch.indices, greedy_ids(out.logits.float(), out.output_lengths)):
                    utt = self.dev_set.utts[i]
                    pairs.append((utt.id, utt.lang, utt.units, " ".join(self.vocab.decode(ids))))
                if out.lid_logits is not None:
                    lid_right += int((out.lid_logits.argmax(-1) == batch.lang_ids).sum())
                    lid_n += len(batch.indices)
        model.train(was_training)
        metric, err, by_lang, wer = dev_error(pairs, self.units)
        return DevResult(loss_sum / max(n, 1), metric, err, by_lang, wer,
                         lid_right / lid_n if lid_n else None, n)

    def _save(self, result: DevResult | None) -> bool:
        s, yaml_text = self.state, dump_yaml(self.cfg)
        summary = {"step": s.step, "units": self.units, "languages": self.langs,
                   "dev": result.row(s.step) if result else None}
        improved = result is not None and (s.best_error is None or result.error_rate < s.best_error)
        if improved:
            s.best_error, s.best_step, s.evals_without_gain = result.error_rate, s.step, 0
        elif result is not None:
            s.evals_without_gain += 1
        last = ckpt.save_checkpoint(self.out / ckpt.LAST, self.model, yaml_text, self.unigrams,
                                    self._trainer_state(), summary)
        if improved or (result is None and not (self.out / ckpt.BEST).exists()):
            ckpt.promote_to_best(last, self.out / ckpt.BEST)
        patience = self.cfg.train.early_stopping_patience
        return bool(patience and s.evals_without_gain >= patience)

    def _result(self, stopped: str) -> FinetuneResult:
        from sshr_cli.train.evaluate import METRIC_OF_UNITS

        return FinetuneResult(self.out, self.state.step, METRIC_OF_UNITS.get(self.units, "cer"),
                              self.state.best_error, self.state.best_step,
                              self.sampler.padding_fraction(0), self.state.bad_steps_total, stopped,
                              getattr(self, "skipped", {}))


class _Window:
    """Train metrics accumulated between log rows (device tensors until a row is written)."""

    def __init__(self):
        self.loss, self.parts, self.norms, self.updates = 0.0, {}, [], 0
        self.audio, self.padded, self.data_s = 0.0, 0.0, 0.0
        self.t0 = time.perf_counter()

    def fetch(self, batches, n: int) -> list:
        """The next n micro-batches, timing the wait for the data loader."""
        t = time.perf_counter()
        micro = [next(batches) for _ in range(n)]
        self.data_s += time.perf_counter() - t
        return micro

    def add_batch(self, batch) -> None:
        self.audio += batch.audio_seconds
        self.padded += batch.padded_seconds

    def add_update(self, loss, parts: dict, norm) -> None:
        self.loss += loss
        self.updates += 1
        self.norms.append(norm)
        for k, v in parts.items():
            self.parts[k] = self.parts.get(k, 0.0) + v

    def row(self, state: State, optimizer, info) -> dict:
        audio, padded = distributed.sum_floats([self.audio, self.padded], info)
        elapsed = time.perf_counter() - self.t0
        n = max(self.updates, 1)
        lrs = {f"lr_{g.get('name', i)}": g["lr"] for i, g in enumerate(optimizer.param_groups)}
        norm = float(torch.stack(self.norms).float().mean()) if self.norms else 0.0
        row = {"step": state.step, "split": "train", "epoch": state.epoch, "loss": float(self.loss) / n,
               **{k: float(v) / n for k, v in self.parts.items()}, **lrs, "grad_norm": norm,
               "audio_s_per_s": audio / max(elapsed, 1e-9), "padding": 1 - audio / max(padded, 1e-9),
               "data_wait": self.data_s / max(elapsed, 1e-9), "bad_steps": state.bad_steps_total}
        self.__init__()
        return row


# ---------------------------------------------------------------- helpers
def _units(data_dir: Path) -> str:
    path = report_path(data_dir)
    if not path.is_file():
        raise DataError(f"{path} not found: run `sshr prepare` first (or pass --data DIR)")
    import json

    units = json.loads(path.read_text(encoding="utf-8")).get("units")
    if units not in ("phonemes", "chars"):
        raise DataError(f"{path}: units is {units!r}; expected 'phonemes' or 'chars'")
    return units


def _languages(data_dir: Path, wanted, data_cfg) -> list[str]:
    found = prepared_langs(data_dir)
    langs = list(wanted) if wanted else found
    if not langs:
        raise DataError(f"no prepared languages in {data_dir}: run `sshr prepare` first (or pass --data DIR)")
    for lang in langs:
        for split in (data_cfg.train_split, data_cfg.dev_split):
            if not manifest_path(data_dir, lang, split).is_file():
                have = ", ".join(found) or "none"
                raise DataError(f"{manifest_path(data_dir, lang, split)} not found (prepared languages: {have})")
    return langs


def _diff(a: dict, b: dict, prefix: str = "") -> list[str]:
    keys = []
    for k in sorted(set(a) | set(b)):
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            keys += _diff(va, vb, f"{prefix}{k}.")
        elif va != vb and not (isinstance(va, (list, tuple)) and isinstance(vb, (list, tuple)) and list(va) == list(vb)):
            keys.append(f"{prefix}{k}: {va!r} -> {vb!r}")
    return keys
