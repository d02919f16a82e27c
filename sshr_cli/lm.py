"""n-gram language models for beam decoding: ARPA files from manifests or plain text.

    build_lm(["data/en/train.jsonl"], "lm.arpa", LMOptions(order=3))

Counting and smoothing are kaldingram's (a pip-installable Kneser-Ney ARPA builder from
the Next-gen Kaldi team; no compiled lmplz). Note that kaldingram 0.1.2 implements
SRILM's `-ukndiscount` back-off Kneser-Ney: one discount per order, not the three of
modified Kneser-Ney. The kenlm Python module can read ARPA and binary models but cannot
write binaries, so only the ARPA is written (KenLM's own build_binary can convert it).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sshr_cli.errors import ConfigError, DataError, require
from sshr_cli.io import atomic_path, read_text_lines
from sshr_cli.text import normalize
from sshr_cli.text.units import units_to_text

DEFAULT_ORDER = 3  # trigram: the usual choice for CTC shallow fusion on small corpora
MAX_ORDER = 6  # KenLM's default compiled maximum order
UNK_LOG10_PROB = -100.0  # what KenLM substitutes for a missing <unk>; written out so it need not complain
FIELDS = ("text", "units")  # manifest field: words, or phoneme words (units between `|`)
BINARY_NOTE = ("no KenLM binary written: the kenlm Python module can only read models; "
               "KenLM's build_binary converts the ARPA if you need faster loading")


@dataclass(frozen=True)
class LMOptions:
    order: int = DEFAULT_ORDER
    field: str = "text"
    prune: float | None = None  # relative-entropy threshold (kaldingram prune); None keeps all n-grams
    lang: str | None = None  # normalisation rules for plain-text input

    def check(self) -> None:
        if not 1 <= self.order <= MAX_ORDER:
            raise ConfigError(f"--order must be between 1 and {MAX_ORDER}, got {self.order}")
        if self.field not in FIELDS:
            raise ConfigError(f"--field must be one of {', '.join(FIELDS)}, got {self.field!r}")
        if self.prune is not None and self.prune <= 0:
            raise ConfigError(f"--prune must be a positive threshold such as 1e-7, got {self.prune}")


@dataclass
class LMReport:
    arpa: Path
    sentences: int
    words: int
    vocab: int
    ngrams: dict[int, int] = field(default_factory=dict)
    binary: Path | None = None
    notes: list[str] = field(default_factory=list)


def read_sentences(paths: Sequence[str | Path], options: LMOptions) -> Iterator[str]:
    """Manifest rows (.jsonl: the text or units field) or plain-text lines (normalised)."""
    for path in map(Path, paths):
        if not path.is_file():
            raise DataError(f"--text {path}: file not found (give manifests or text files)")
        if path.suffix == ".jsonl":
            yield from _manifest_sentences(path, options.field)
        elif options.field == "units":
            raise ConfigError(f"{path}: --field units needs manifests (.jsonl) with a units field")
        else:
            for line in read_text_lines(path):  # not UTF-8: a DataError naming the byte (never replaced silently)
                text = normalize(line, options.lang)
                if text:
                    yield text


def _manifest_sentences(path: Path, key: str) -> Iterator[str]:
    for n, line in enumerate(read_text_lines(path), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise DataError(f"{path}:{n}: not JSON ({exc}); expected one JSON object per line") from exc
        if not isinstance(row, dict) or key not in row:
            raise DataError(f"{path}:{n}: no '{key}' field (manifests from `sshr prepare` have text and units)")
        text = units_to_text(row[key]) if key == "units" else " ".join(str(row[key]).split())
        if text:
            yield text


@contextlib.contextmanager
def _quiet_progress(module):
    """kaldingram draws tqdm bars on stderr; switch them off for this call, then restore."""
    original = module.tqdm

    def silent(*args, **kwargs):
        return original(*args, **{**kwargs, "disable": True})

    module.tqdm = silent
    try:
        yield
    finally:
        module.tqdm = original


def lm_inputs(texts: Sequence[str | Path], out: str | Path | None,
              data_dir: Path | None) -> tuple[list[Path], Path]:
    """(sources, ARPA path) for `sshr lm build`: as given, else every prepared train manifest
    under `data_dir` and `data_dir`/lm.arpa (data_dir is needed only for what was not given)."""
    sources = [Path(t) for t in texts]
    if not sources:
        sources = sorted(data_dir.glob("*/train.jsonl"))
        if not sources:
            raise DataError(f"no text given and no {data_dir}/*/train.jsonl; pass --text FILE (manifest or text)")
    return sources, Path(out) if out is not None else data_dir / "lm.arpa"


def build_lm(texts: Sequence[str | Path], out: str | Path, options: LMOptions = LMOptions()) -> LMReport:
    """Write an ARPA Kneser-Ney n-gram LM to `out` (atomically); returns counts for the user."""
    options.check()
    require("kaldingram", "lm")
    from kaldingram import train

    counts = train.NgramCounts(options.order)
    n_sent = n_words = 0
    vocab: set[str] = set()
    for sentence in read_sentences(texts, options):
        counts.add_raw_counts_from_line(sentence)
        words = sentence.split()
        n_sent, n_words = n_sent + 1, n_words + len(words)
        vocab.update(words)
    if n_sent == 0:
        raise DataError(f"no text found in {', '.join(map(str, texts))}; nothing to build an LM from")
    out = Path(out)
    with _quiet_progress(train), atomic_path(out) as tmp:
        counts.cal_discounting_constants()
        counts.cal_f()
        counts.cal_bow()
        raw = tmp.with_name(tmp.name + ".raw")
        try:
            with open(raw, "w", encoding="utf-8") as f:
                counts.print_as_arpa(fout=f)
            if options.prune is not None:
                _prune(raw, options.prune)
            _add_unk(raw, tmp)
        finally:
            raw.unlink(missing_ok=True)
    return LMReport(out, n_sent, n_words, len(vocab), arpa_counts(out), None, [BINARY_NOTE])


def _prune(path: Path, threshold: float) -> None:
    from kaldingram import prune

    with _quiet_progress(prune):
        parser = prune.ArpaParser()
        lm = parser.loadf(str(path), encoding="utf-8")[0]
        prune.prune(lm, threshold, 1)
        parser.dumpf(lm, str(path), encoding="utf-8")


def _add_unk(src: Path, dst: Path) -> None:
    """Copy an ARPA, adding the <unk> unigram KenLM expects (at the log10 -100 it would assume)."""
    with open(src, encoding="utf-8") as fin, open(dst, "w", encoding="utf-8") as fout:
        past_unigrams = False
        for line in fin:
            if line.startswith("ngram 1="):
                line = f"ngram 1={int(line.split('=')[1]) + 1}\n"
            elif line.startswith("\\2-grams:") or line.startswith("\\end\\"):
                past_unigrams = True  # past the unigrams
            if line.strip() == "\\1-grams:":
                fout.write(line)
                line = f"{UNK_LOG10_PROB:.7f}\t<unk>\n"
            fout.write(line)
        if not past_unigrams:
            raise DataError(f"{src}: malformed ARPA from kaldingram (no end of unigrams)")


def arpa_counts(path: str | Path) -> dict[int, int]:
    """The `ngram N=count` lines of an ARPA header."""
    counts = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("ngram ") and "=" in line:
                order, n = line[6:].split("=")
                counts[int(order)] = int(n)
            elif line.startswith("\\1-grams:"):
                break
    return counts
