"""Training recipes: YAML with `base:` inheritance and `--set a.b=c` overrides -> frozen dataclasses.

    cfg = load_recipe("recipes/commonvoice/sshr.yaml", overrides=["optim.lr_heads=5e-4"])
    cfg.model.lid_layer, cfg.train.max_steps, ...
    dump_yaml(cfg)   # the resolved recipe, printed at start and saved in every checkpoint

A recipe file may name `base: other.yaml` (relative to itself); its sections are deep-merged
over the base. Every key is checked against the dataclasses below, so a typo is a one-line
ConfigError that names the closest field. No torch import here.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

from sshr_cli.constants import PRECISIONS, RECIPES_DIR
from sshr_cli.errors import ConfigError
from sshr_cli.model.config import ARCHS, SSHRConfig

COMPILE_MODES = ("off", "auto", "dynamic", "static")  # train.compile; see sshr_cli.train.speed
TINY_ENCODER = "tiny"  # model.encoder value: a random tiny encoder written into the run folder
MAX_BASE_DEPTH = 8  # base: chains longer than this are a loop


RECIPE_ONLY_FROM_DATA = ("languages",)  # SSHRConfig fields a recipe does not set: they come from the data


def _sshr_fields(self) -> dict:
    """The keyword arguments for SSHRConfig (everything but `encoder`)."""
    return {k: v for k, v in dataclasses.asdict(self).items() if k != "encoder"}


def _model_section() -> type:
    """`model:` = `encoder` + SSHRConfig's fields (their types, defaults and order), minus the ones
    the data decides; built from SSHRConfig, so a new model option needs no change here."""
    hints = typing.get_type_hints(SSHRConfig)
    model_fields = [("encoder", Optional[str], None)]  # HF id or folder; "tiny"; None = --model / workspace default
    model_fields += [(f.name, hints[f.name], dataclasses.field(default=f.default))
                     for f in dataclasses.fields(SSHRConfig) if f.name not in RECIPE_ONLY_FROM_DATA]
    cls = dataclasses.make_dataclass(
        "ModelSection", model_fields, frozen=True,
        namespace={"__doc__": "The encoder plus SSHRConfig's fields (sshr_cli.model.config), minus `languages`.",
                   "sshr_fields": _sshr_fields})
    cls.__module__ = __name__  # pickling and reprs name this module, not dataclasses'
    return cls


ModelSection = _model_section()


@dataclass(frozen=True)
class DataSection:
    langs: Optional[tuple[str, ...]] = None  # None = every prepared language
    train_split: str = "train"
    dev_split: str = "dev"
    max_batch_seconds: float = 80.0  # padded audio seconds per batch (per device, per micro-batch)
    max_batch_size: int = 64  # utterances per batch, whatever their length
    duration_jitter: float = 0.05  # relative noise on durations before sorting, so buckets vary per epoch
    max_train_duration: float = 20.0  # s; longer train utterances are skipped (dev is never filtered)
    num_workers: int = 2  # DataLoader worker processes
    cache_audio: bool = False  # keep decoded audio in memory (small corpora, CPU runs)


@dataclass(frozen=True)
class OptimSection:
    lr_encoder: float = 5e-5
    lr_heads: float = 5e-4  # CTC/LID heads and SSHR cross-attention start from scratch
    weight_decay: float = 0.0
    betas: tuple[float, ...] = (0.9, 0.98)
    eps: float = 1e-8
    max_grad_norm: float = 1.0  # 0 = no clipping
    grad_accum: int = 1  # micro-batches per update


@dataclass(frozen=True)
class ScheduleSection:
    """fairseq's tri-stage schedule: linear warm-up, hold, exponential decay (fractions of max_steps)."""

    warmup_ratio: float = 0.1
    hold_ratio: float = 0.4
    decay_ratio: float = 0.5
    init_lr_scale: float = 0.01
    final_lr_scale: float = 0.05


@dataclass(frozen=True)
class TrainSection:
    max_steps: int = 20000  # optimizer updates
    freeze_encoder_steps: int = 0  # encoder frozen for the first N updates (heads train alone)
    precision: str = "auto"  # auto | bf16 | fp16 | fp32 ; autocast is used on GPU only
    eval_every: int = 1000  # updates between dev evaluations (and last/ checkpoints)
    log_every: int = 50  # updates between train metric rows
    seed: int = 0
    max_bad_steps: int = 20  # consecutive NaN/inf-loss steps before the run stops
    early_stopping_patience: int = 0  # evaluations without a better dev error; 0 = off
    max_minutes: Optional[float] = None  # wall-clock cap on this invocation's updates (then eval + save); None = off
    eval_max_batch_seconds: float = 160.0  # padded audio seconds per dev batch
    compile: str = "off"  # off | auto | dynamic | static: torch.compile the training forward (train/speed.py)
    pad_to_multiple_s: float = 0.0  # s; pad each train batch's length up to a multiple of this (0 = off)
    eval_max_utterances: Optional[int] = None  # dev utterances per eval_every evaluation (seeded, balanced per
    # language); best/ and the final evaluation use the full dev set; None = always the full dev set


@dataclass(frozen=True)
class RunConfig:
    model: ModelSection = field(default_factory=ModelSection)
    data: DataSection = field(default_factory=DataSection)
    optim: OptimSection = field(default_factory=OptimSection)
    schedule: ScheduleSection = field(default_factory=ScheduleSection)
    train: TrainSection = field(default_factory=TrainSection)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def replace(self, section: str, **values) -> "RunConfig":
        return dataclasses.replace(self, **{section: dataclasses.replace(getattr(self, section), **values)})


SECTIONS = {f.name: f.default_factory for f in dataclasses.fields(RunConfig)}  # type: ignore[misc]


# ---------------------------------------------------------------- loading
def resolve_recipe(name: str | Path) -> Path:
    """A path as given, else a name under recipes/ ('commonvoice/sshr' or 'commonvoice/sshr.yaml')."""
    path = Path(name).expanduser()
    if path.is_file():
        return path
    for candidate in (RECIPES_DIR / path, RECIPES_DIR / path.with_suffix(".yaml")):
        if candidate.is_file():
            return candidate
    known = ", ".join(sorted(str(p.relative_to(RECIPES_DIR)) for p in RECIPES_DIR.rglob("*.yaml"))) \
        if RECIPES_DIR.is_dir() else "none found"
    raise ConfigError(f"recipe {name} not found; give a YAML path or one of: {known}")


def load_recipe(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> RunConfig:
    """Read a recipe (following `base:`), apply `a.b=c` overrides, check every key and type."""
    raw = _read_with_bases(resolve_recipe(path), depth=0)
    for item in overrides:
        _apply_override(raw, item)
    return from_dict(raw, where=str(path))


def from_dict(raw: dict, where: str = "recipe") -> RunConfig:
    sections = {}
    for name, values in raw.items():
        if name not in SECTIONS:
            raise ConfigError(f"{where}: unknown section '{name}'{_hint(name, SECTIONS)}; "
                              f"sections are {', '.join(SECTIONS)}")
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: section '{name}' must be a mapping of key: value")
        sections[name] = _build_section(name, values, where)
    cfg = RunConfig(**sections)
    validate(cfg, where)
    return cfg


def validate(cfg: RunConfig, where: str = "recipe") -> None:
    """Values that type-check but cannot work; one line each, naming the field."""
    s, t, d, o = cfg.schedule, cfg.train, cfg.data, cfg.optim
    checks = [
        (cfg.model.arch in ARCHS, f"model.arch must be one of {ARCHS}"),
        (t.precision in PRECISIONS, f"train.precision must be one of {PRECISIONS}"),
        (abs(s.warmup_ratio + s.hold_ratio + s.decay_ratio - 1.0) < 1e-6,
         "schedule.warmup_ratio + hold_ratio + decay_ratio must sum to 1"),
        (min(s.warmup_ratio, s.hold_ratio, s.decay_ratio) >= 0, "schedule ratios must be >= 0"),
        (0 < s.init_lr_scale <= 1 and 0 < s.final_lr_scale <= 1, "schedule lr scales must be in (0, 1]"),
        (t.max_steps > 0, "train.max_steps must be > 0"),
        (t.eval_every > 0 and t.log_every > 0, "train.eval_every and train.log_every must be > 0"),
        (t.max_bad_steps > 0, "train.max_bad_steps must be > 0"),
        (t.compile in COMPILE_MODES, f"train.compile must be one of {COMPILE_MODES}"),
        (t.pad_to_multiple_s >= 0, "train.pad_to_multiple_s must be >= 0 (0 = off)"),
        (t.eval_max_utterances is None or t.eval_max_utterances > 0,
         "train.eval_max_utterances must be > 0 (or null for the full dev set)"),
        (t.max_minutes is None or t.max_minutes > 0, "train.max_minutes must be > 0 (or null for no limit)"),
        (d.max_batch_seconds > 0 and d.max_batch_size > 0, "data.max_batch_seconds and max_batch_size must be > 0"),
        (o.grad_accum >= 1, "optim.grad_accum must be >= 1"),
        (o.lr_encoder >= 0 and o.lr_heads > 0, "optim.lr_encoder must be >= 0 and optim.lr_heads > 0"),
        (len(o.betas) == 2, "optim.betas must be two numbers, e.g. [0.9, 0.98]"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(f"{where}: {message}")


def dump_yaml(cfg: RunConfig) -> str:
    """The resolved recipe as YAML (tuples as lists), loadable again with load_recipe."""
    return yaml.safe_dump(_plain(cfg.to_dict()), sort_keys=False, default_flow_style=False)


def _plain(obj):
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def _read_with_bases(path: Path, depth: int) -> dict:
    if depth > MAX_BASE_DEPTH:
        raise ConfigError(f"{path}: `base:` chain deeper than {MAX_BASE_DEPTH}; is there a loop?")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: not valid YAML ({str(exc).splitlines()[0]})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); save the recipe as UTF-8") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a recipe is a mapping of sections (model:, data:, optim:, schedule:, train:)")
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str) or not base.strip() or "\x00" in base:
        raise ConfigError(f"{path}: base must be the file name of another recipe (e.g. base: ../base.yaml), "
                          f"got {base!r}")
    base_path = (path.parent / base).resolve()
    if not base_path.is_file():
        raise ConfigError(f"{path}: base {base} not found (looked for {base_path})")
    return _merge(_read_with_bases(base_path, depth + 1), data)


def _merge(base: dict, over: dict) -> dict:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _apply_override(raw: dict, item: str) -> None:
    key, sep, text = item.partition("=")
    parts = key.strip().split(".")
    if not sep or len(parts) != 2 or not all(parts):
        raise ConfigError(f"--set {item!r}: expected section.key=value, e.g. optim.lr_heads=1e-3")
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"--set {item!r}: cannot parse the value ({str(exc).splitlines()[0]})") from exc
    section = raw.setdefault(parts[0], {})
    if not isinstance(section, dict):
        raise ConfigError(f"--set {item!r}: section '{parts[0]}' is not a mapping")
    section[parts[1]] = value


def _build_section(name: str, values: dict, where: str):
    cls = SECTIONS[name]
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in values.items():
        if key not in names:
            raise ConfigError(f"{where}: unknown key '{name}.{key}'{_hint(key, names)}")
        kwargs[key] = _coerce(value, hints[key], f"{where}: {name}.{key}")
    return cls(**kwargs)


def _coerce(value: Any, hint, what: str):
    """Check/convert a YAML value to a field's type: int, float, bool, str, Optional[...], tuple[X, ...]."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], what)
    if origin is tuple:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            value = [value]  # a single value where a list is expected
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{what}: expected a list, got {value!r}")
        return tuple(_coerce(v, args[0], what) for v in value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{what}: expected true or false, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ConfigError(f"{what}: expected an integer, got {value!r}")
    if hint is float:
        if isinstance(value, str):
            try:
                return float(value)  # YAML reads 1e-3 (no dot) as a string
            except ValueError:
                pass
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{what}: expected a number, got {value!r}")
    if hint is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"{what}: expected a string, got {value!r}")
    return value


def _hint(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
