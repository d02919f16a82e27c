"""Options of `sshr analyze`, with their defaults named once, with units."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from sshr_cli.errors import ConfigError

DEFAULT_MAX_UTTS = 200  # utterances per language, drawn from all of its splits
DEFAULT_MAX_FRAMES = 12_000  # frames kept for the phone probe, all utterances together
DEFAULT_TEST_FRACTION = 0.3  # share of each language's utterances whose speakers are held out
DEFAULT_ANALYZE_BATCH_S = 60.0  # seconds of audio per forward pass
DEFAULT_OUT_DIR = "analysis"
DEFAULT_CROSS_CTC_COUNT = 3  # the paper's (18, 20, 22)
PROBE_MAX_ITER = 100  # lbfgs iterations per probe (accuracy settles well before strict convergence)


@dataclass(frozen=True)
class AnalyzeConfig:
    model: str
    data_dir: Path
    langs: tuple[str, ...] = ()  # empty: every prepared language
    out_dir: Path = Path(DEFAULT_OUT_DIR)
    max_utts: int = DEFAULT_MAX_UTTS
    max_frames: int = DEFAULT_MAX_FRAMES
    align_model: str | None = None
    test_fraction: float = DEFAULT_TEST_FRACTION
    batch_s: float = DEFAULT_ANALYZE_BATCH_S
    cross_ctc_count: int = DEFAULT_CROSS_CTC_COUNT
    device: str = "auto"  # auto: cuda when available
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        object.__setattr__(self, "out_dir", Path(self.out_dir))
        object.__setattr__(self, "langs", tuple(self.langs))
        if self.max_utts < 4:
            raise ConfigError(f"--max-utts {self.max_utts}: need at least 4 per language (2 speakers x train/test)")
        if self.max_frames < 10:
            raise ConfigError(f"--max-frames {self.max_frames}: need at least 10")
        if not 0.0 < self.test_fraction < 1.0:
            raise ConfigError(f"test_fraction {self.test_fraction}: must be between 0 and 1")
        if self.batch_s <= 0:
            raise ConfigError(f"--batch-s {self.batch_s}: must be positive seconds")
        if self.cross_ctc_count < 1:
            raise ConfigError(f"cross_ctc_count {self.cross_ctc_count}: must be at least 1")

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v for k, v in d.items()}
