"""`sshr finetune` as a library call: prepared manifests + a recipe -> a run folder.

    result = finetune(FinetuneRequest(recipe=load_recipe("synthetic/tiny"), data_dir=Path("data"),
                                      out_dir=Path("exp/tiny"), model="facebook/mms-300m"))

OUT/ gets best/ and last/ (checkpoint folders, see train/checkpoint.py), metrics.jsonl, tb/,
config.yaml (the resolved recipe) and curves.png. Under torchrun every rank runs this function;
rank 0 alone logs, evaluates and saves, and the others wait for its decisions.

What a run is built from is in train/setup.py, what survives a resume in train/resume.py, the
dev pass in train/evaluate.py and the train metrics rows in train/window.py; this module holds
the loop itself: updates, the NaN guard, logging, evaluation and saving decisions.
"""

from __future__ import annotations

import dataclasses
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from rich.markup import escape

from sshr_cli.config import RunConfig, dump_yaml
from sshr_cli.data.manifest import check_langs, prepared_units, vocab_path
from sshr_cli.errors import SshrError
from sshr_cli.io import write_text
from sshr_cli.model.sshr import check_targets
from sshr_cli.text.vocab import Vocab
from sshr_cli.train import checkpoint as ckpt
from sshr_cli.train import distributed
from sshr_cli.train.evaluate import METRIC_OF_UNITS, DevResult, evaluate_dev
from sshr_cli.train.frames import language_frame_files
from sshr_cli.train.logs import MetricsLog, ProgressBar, plot_curves
from sshr_cli.train.request import FinetuneRequest  # noqa: F401  re-export
from sshr_cli.train.resume import (State, extend_schedule, replan, restore, resume_folder, resumed_recipe,
                                   saved_recipe, trainer_state)
from sshr_cli.train.setup import autocast, build_model, build_optim, load_data, make_loader
from sshr_cli.train.speed import compile_regions, pad_to_multiple
from sshr_cli.train.window import MetricsWindow

RUN_CONFIG_FILE = "config.yaml"
DATA_WAIT_WARN = 0.3  # fraction of a log window spent waiting for batches before a hint is printed


class TrainingError(SshrError):
    """The run cannot go on (e.g. the loss stayed NaN/inf); the last complete checkpoint is kept."""


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
        self._warned_data_wait = False
        self._extension = None  # a raised max_steps on resume: what to say (and log in metrics.jsonl)
        self._full_eval_step = -1  # the update last evaluated on the full dev set (all ranks know it)
        resume_from = resume_folder(self.out, req.resume, info)
        self.cfg = cfg = resumed_recipe(req.recipe, resume_from, self.out)
        self.units = prepared_units(req.data_dir)
        self.vocab = Vocab.load(vocab_path(req.data_dir))
        self.langs = check_langs(req.data_dir, cfg.data.langs, (cfg.data.train_split, cfg.data.dev_split))
        self.state = State()
        ckpt.seed_everything(cfg.train.seed)  # the same new heads on every rank
        self.model = build_model(cfg, self.langs, self.vocab, self.out, req.model, info, resume_from).to(info.device)
        compile_regions(self.model, cfg.train.compile)
        ckpt.seed_everything(cfg.train.seed + info.rank)  # dropout/masking differ between ranks
        self.data = load_data(cfg, req.data_dir, self.langs, self.vocab, self.model, info)
        for line in self.data.skip_lines:
            self.say(f"[yellow]{escape(line)}[/]")
        self.opt = build_optim(self.model, cfg, info)
        if info.device == "cpu" and cfg.train.precision in ("bf16", "fp16"):
            self.say(f"[yellow]train.precision={cfg.train.precision} applies on GPU only; this CPU run is fp32[/]")
        self.encoder_frozen = False
        if resume_from is not None:
            self._restore(resume_from)
        self.ddp = self._wrap()

    @property
    def train_set(self):
        return self.data.train_set

    @property
    def sampler(self):
        return self.data.sampler

    def say(self, message: str) -> None:
        if self.console is not None:
            self.console.print(message, soft_wrap=True)

    # ---------------------------------------------------------------- setup
    def _wrap(self):
        """DDP wrapper (rebuilt when the encoder is unfrozen, since DDP fixes its parameter set)."""
        self._freeze_encoder(self.state.step < self.cfg.train.freeze_encoder_steps)
        if not self.info.enabled:
            return self.model
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.info.local_rank] if self.info.device.startswith("cuda") else None
        return DistributedDataParallel(self.model, device_ids=ids)

    def _freeze_encoder(self, frozen: bool) -> None:
        for p in self.opt.encoder_params:
            p.requires_grad_(not frozen)
        self.encoder_frozen = frozen

    def _restore(self, folder: Path) -> None:
        self.state, self._rng_to_restore = restore(folder, self.vocab, vocab_path(self.req.data_dir), self.opt)
        # the RNG states are applied just before the first update (see run)
        self.say(f"resuming {self.out} from update {self.state.step} "
                 f"(epoch {self.state.epoch}, batch {self.state.batch_in_epoch})")
        self._extension = extend_schedule(self.state, saved_recipe(folder).train.max_steps, self.cfg.train.max_steps)
        if self.state.lr_extensions:
            replan(self.opt, self.cfg, self.state.lr_extensions)
        if self._extension:
            self.say(self._extension)

    # ---------------------------------------------------------------- run
    def run(self, on_step: Callable[[int], None] | None = None) -> FinetuneResult:
        t, s = self.cfg.train, self.state
        if s.step >= t.max_steps:
            self.say(f"{self.out} already finished {s.step} updates; nothing to do")
            return self._result("already_done")
        self._start_run_folder()
        log = MetricsLog(self.out, s.step) if self.info.is_main else None
        self._log_resume(log)
        bar = ProgressBar(self.console, t.max_steps, s.step, self.req.show_progress and self.console is not None)
        stopped = "max_steps"
        deadline = time.monotonic() + 60 * t.max_minutes if t.max_minutes else None
        window = MetricsWindow()
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
                if evaluated and self._evaluate_and_save(log, full=s.step == t.max_steps):
                    stopped = "early_stopping"
                    break
                if s.step < t.max_steps and self._out_of_time(deadline):
                    self.say(f"update {s.step}: train.max_minutes={t.max_minutes:g} reached; stopped here "
                             f"(last/ can be continued with --resume)")
                    stopped = "time_limit"
                    break
            if self._full_eval_step != s.step:  # the run ends with an evaluation on the full dev set
                self._evaluate_and_save(log, full=True)
        finally:
            bar.stop()
            if log is not None:
                log.close()
        if self.info.is_main:
            plot_curves(self.out)
        return self._result(stopped)

    def _log_resume(self, log) -> None:
        """Say what resuming changed: a torn metrics line dropped; a raised max_steps (a metrics row too)."""
        for note in log.notes if log is not None else []:
            self.say(f"[yellow]{escape(note)}[/]")
        if log is not None and self._extension:
            step, old, new = self.state.lr_extensions[-1]
            log.write({"step": step, "split": "schedule", "event": "max_steps_raised", "max_steps_before": old,
                       "max_steps": new, "lr": [g["lr"] for g in self.opt.optimizer.param_groups],
                       "note": self._extension})

    def _start_run_folder(self) -> None:
        if self.info.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            write_text(self.out / RUN_CONFIG_FILE, dump_yaml(self.cfg))
            pad = self.sampler.padding_fraction(self.state.epoch)
            self.say(f"train: {len(self.train_set)} utterances, {len(self.langs)} language(s) "
                     f"({', '.join(self.langs)}), {self.sampler.batches_per_epoch()} batches/epoch/rank, "
                     f"padding {100 * pad:.1f}%; dev: {len(self.data.dev_set)}; device {self.info.device}"
                     f"{f' x{self.info.world_size}' if self.info.enabled else ''}")

    def _micro_batches(self):
        """Batches forever, epoch after epoch; State.epoch/batch_in_epoch say what was consumed."""
        return self._epochs(make_loader(self.train_set, self.sampler, self.cfg, self.info))

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

    def _update(self, micro: list, window: MetricsWindow):
        """One optimizer update over `micro` batches; None if the loss or gradient was NaN/inf (step
        skipped). Losses stay on the device: the only host sync is the finiteness check."""
        total, parts = torch.zeros((), device=self.info.device), {}
        for k, batch in enumerate(micro):
            if self.info.device != "cpu":  # on the host, before the copy (the model checks CPU batches itself)
                check_targets(batch.labels, batch.lang_ids, len(self.model.vocab), len(self.model.sshr_config.languages))
            batch = pad_to_multiple(batch.to(self.info.device), self.cfg.train.pad_to_multiple_s)
            sync = k == len(micro) - 1
            with (self.ddp.no_sync() if self.info.enabled and not sync else nullcontext()), self._autocast():
                out = self.ddp(input_values=batch.input_values, attention_mask=batch.attention_mask,
                               labels=batch.labels, lang_ids=batch.lang_ids)
                loss = out.loss / len(micro)
                self.opt.scaler.scale(loss).backward()
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
        self.opt.scaler.unscale_(self.opt.optimizer)
        params = [p for g in self.opt.optimizer.param_groups for p in g["params"] if p.grad is not None]
        max_norm = self.cfg.optim.max_grad_norm
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm if max_norm > 0 else float("inf"))
        loss_ok, norm_ok = torch.isfinite(torch.stack([loss, norm.float()])).tolist()  # the one host sync
        if not distributed.all_true(loss_ok, self.info) or (not norm_ok and not self.opt.scaler.is_enabled()):
            self.opt.optimizer.zero_grad(set_to_none=True)
            if self.opt.scaler.is_enabled():
                self.opt.scaler.update()  # unscale_ was called: close this iteration (and lower the scale)
            return None
        self.opt.scaler.step(self.opt.optimizer)  # fp16: skips the step itself when grads overflowed
        self.opt.scaler.update()
        self.opt.scheduler.step()
        self.opt.optimizer.zero_grad(set_to_none=True)
        return norm.detach()

    def _bad_step(self, n_micro: int) -> None:
        """A NaN/inf loss: drop the gradients, move past the batches, count, stop after K in a row."""
        self.opt.optimizer.zero_grad(set_to_none=True)
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

    def _autocast(self):
        return autocast(self.opt.amp_dtype, self.info.device)

    # ---------------------------------------------------------------- log / eval / save
    def _log_train(self, log, bar, window: MetricsWindow) -> None:
        row = window.row(self.state, self.opt.optimizer, self.info)
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
        if share <= DATA_WAIT_WARN or self._warned_data_wait:
            return
        if d.cache_audio and self.state.epoch == 0:
            return  # the first epoch fills the audio cache
        self._warned_data_wait = True
        fixes = [f"raise data.num_workers (now {d.num_workers})"] + ([] if d.cache_audio else ["set data.cache_audio=true"])
        self.say(f"[yellow]update {self.state.step}: {100 * share:.0f}% of the time went to waiting for audio; "
                 f"{', '.join(fixes)}, or prepare with --resample-to-flac[/]")

    def _evaluate_and_save(self, log, full: bool = False) -> bool:
        """Rank 0 evaluates and writes last/ (and best/); returns True when early stopping says stop.
        `full`: on the full dev set even when train.eval_max_utterances asks for a subset."""
        stop, full_done = False, True
        if self.info.is_main:
            stop, full_done = self._evaluate_and_decide(log, full)
        stop, full_done = distributed.broadcast_object((stop, full_done), self.info)
        if full_done:
            self._full_eval_step = self.state.step
        if self.info.enabled:  # the best-error bookkeeping lives in State, on every rank
            s = distributed.broadcast_object(self.state, self.info)
            self.state.best_error, self.state.best_step = s.best_error, s.best_step
            self.state.best_subset_error, self.state.evals_without_gain = s.best_subset_error, s.evals_without_gain
        return stop

    def _evaluate_and_decide(self, log, full: bool) -> tuple[bool, bool]:
        """(stop, evaluated on the full dev set). With a dev subset, the subset is evaluated, and
        only when its error beats its best so far is the full dev set evaluated: best/ is the
        checkpoint with the lowest FULL dev error."""
        on_subset = self.data.subset is not None and not full
        result = self.evaluate(subset=on_subset)
        if result is None:
            return self._save(None, None), True
        results, full_result = [result], None if on_subset else result
        if on_subset and (self.state.best_subset_error is None or result.error_rate < self.state.best_subset_error):
            self.state.best_subset_error = result.error_rate
            full_result = self.evaluate(subset=False)
            results.append(full_result)
        best = full_result is not None and (self.state.best_error is None or full_result.error_rate < self.state.best_error)
        for r in results:
            row = {**r.row(self.state.step), "best": r is full_result and best}
            if r.eval_set == "subset":
                row["eval_max_utterances"] = self.cfg.train.eval_max_utterances
            log.write(row)
            self._report(r)
        return self._save(full_result or result, full_result if best else None), full_result is not None

    def _report(self, r: DevResult) -> None:
        langs = "  ".join(f"{lang} {100 * e:.1f}" for lang, e in r.by_lang.items())
        lid = f"  LID {100 * r.lid_accuracy:.1f}%" if r.lid_accuracy is not None else ""
        which = f" (subset of {r.n})" if r.eval_set == "subset" else ""
        self.say(f"update {self.state.step}: dev{which} loss {r.loss:.3f}  {r.metric.upper()} "
                 f"{100 * r.error_rate:.2f}% ({langs}){lid}")

    def evaluate(self, subset: bool = False) -> DevResult | None:
        """The dev set (or train.eval_max_utterances' subset) decoded greedily; None without dev data."""
        dataset, sampler = ((self.data.subset, self.data.subset_sampler) if subset and self.data.subset is not None
                            else (self.data.dev_set, self.data.dev_sampler))
        if sampler is None:
            return None
        batches = make_loader(dataset, sampler, self.cfg, self.info)
        result = evaluate_dev(self.model, batches, dataset.utterance, self.vocab, self.units, self.info.device,
                              self._autocast)
        return dataclasses.replace(result, eval_set="subset" if dataset is self.data.subset else "full")

    def _save(self, result: DevResult | None, new_best: DevResult | None) -> bool:
        """Write last/ (its summary holds `result`); promote it to best/ when `new_best` is given
        (a better full dev error), or when there is no dev set and no best/ yet."""
        s, yaml_text = self.state, dump_yaml(self.cfg)
        summary = {"step": s.step, "units": self.units, "languages": self.langs,
                   "dev": result.row(s.step) if result else None}
        if new_best is not None:
            s.best_error, s.best_step, s.evals_without_gain = new_best.error_rate, s.step, 0
        elif result is not None:
            s.evals_without_gain += 1
        frames = language_frame_files(self.model, self.train_set, self.info.device, self._autocast)
        last = ckpt.save_checkpoint(self.out / ckpt.LAST, self.model, yaml_text, self.data.unigrams,
                                    trainer_state(self.state, self.opt), summary, extra=frames)
        if new_best is not None or (result is None and not (self.out / ckpt.BEST).exists()):
            ckpt.promote_to_best(last, self.out / ckpt.BEST)
        patience = self.cfg.train.early_stopping_patience
        return bool(patience and s.evals_without_gain >= patience)

    def _result(self, stopped: str) -> FinetuneResult:
        s = self.state
        return FinetuneResult(out_dir=self.out, step=s.step, metric=METRIC_OF_UNITS.get(self.units, "cer"),
                              best_error=s.best_error, best_step=s.best_step,
                              padding_fraction=self.sampler.padding_fraction(0), bad_steps=s.bad_steps_total,
                              stopped=stopped, skipped=self.data.skipped)
