"""Error rates from jiwer alignments: WER on words, CER on characters, PER on phone units.

Tokens, per unit (after normalisation, which `score` shares with `prepare`):
- word:  the normalised text split on white space.
- char:  every character of the normalised text, spaces included as characters (runs of
         white space collapsed to one, ends stripped). This is what HF `evaluate`'s "cer"
         (jiwer.cer on the string) and ESPnet's char scoring (space as `<space>`) count.
- phone: the space-separated units as written (no normalisation); the `|` word separator is
         dropped before scoring, so a phone error rate counts phone errors only.
Alignments come from jiwer.process_words / process_characters (rapidfuzz Levenshtein); this
module only counts what those alignments say.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Optional, Sequence

from sshr_cli.constants import WORD_SEPARATOR
from sshr_cli.errors import ConfigError
from sshr_cli.text import describe_rules, normalize as normalize_text

UNITS = ("word", "char", "phone")
METRIC_OF_UNIT = {"word": "wer", "char": "cer", "phone": "per"}
UNKNOWN_LANG = "und"  # ISO 639-2 "undetermined": pairs that carry no language
DEFAULT_SPLIT = "test"
# Languages written without spaces between words: a WER there scores whole phrases.
CER_LANGS = frozenset({"zh", "ja", "th", "lo", "km", "my", "bo", "yue", "cmn", "jpn", "tha", "lao",
                       "khm", "mya", "bod", "wuu", "nan", "hak"})


@dataclass(frozen=True)
class Counts:
    """Edit counts against `n` reference tokens. `dels` is "del" in JSON (a Python keyword)."""

    n: int = 0
    corr: int = 0
    sub: int = 0
    dels: int = 0
    ins: int = 0

    @property
    def err(self) -> int:
        return self.sub + self.dels + self.ins

    @property
    def error_rate(self) -> Optional[float]:
        """(sub+del+ins)/n as a fraction; None when there is no reference token to divide by."""
        return self.err / self.n if self.n else None

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.n + other.n, self.corr + other.corr, self.sub + other.sub,
                      self.dels + other.dels, self.ins + other.ins)

    def to_dict(self) -> dict:
        return {"n": self.n, "corr": self.corr, "sub": self.sub, "del": self.dels, "ins": self.ins,
                "err": self.err, "error_rate": self.error_rate}

    def __getitem__(self, key: str):
        return self.to_dict()[key]


@dataclass(frozen=True)
class Chunk:
    """One jiwer alignment chunk: op in equal/substitute/delete/insert, half-open index ranges."""

    op: str
    ref_start: int
    ref_end: int
    hyp_start: int
    hyp_end: int


@dataclass(frozen=True)
class UttScore:
    id: str
    lang: str
    ref: tuple[str, ...]  # scored tokens
    hyp: tuple[str, ...]
    chunks: tuple[Chunk, ...]
    counts: Counts
    missing: bool = False  # no hypothesis was given: scored as all deletions

    def pairs(self):
        """Aligned (ref_token | None, hyp_token | None) pairs, in order."""
        for c in self.chunks:
            if c.op == "insert":
                yield from ((None, h) for h in self.hyp[c.hyp_start:c.hyp_end])
            elif c.op == "delete":
                yield from ((r, None) for r in self.ref[c.ref_start:c.ref_end])
            else:  # equal / substitute: same length on both sides
                yield from zip(self.ref[c.ref_start:c.ref_end], self.hyp[c.hyp_start:c.hyp_end])


@dataclass(frozen=True)
class ScoreResult:
    unit: str
    normalization: str
    utterances: tuple[UttScore, ...]
    totals: Counts
    by_lang: dict  # lang -> Counts, sorted by lang
    missing_ids: tuple[str, ...] = ()
    extra_ids: tuple[str, ...] = ()
    split: str = DEFAULT_SPLIT
    dataset: Optional[str] = None
    notes: tuple[str, ...] = field(default=())  # things a reader should know (CJK, empty refs)

    @property
    def metric(self) -> str:
        return METRIC_OF_UNIT[self.unit]

    @property
    def empty_ref_ids(self) -> tuple[str, ...]:
        return tuple(u.id for u in self.utterances if not u.ref)

    def common_errors(self) -> tuple[Counter, Counter, Counter]:
        """(substitutions {(ref, hyp): n}, deletions {ref: n}, insertions {hyp: n})."""
        subs, dels, ins = Counter(), Counter(), Counter()
        for utt in self.utterances:
            for r, h in utt.pairs():
                if r is None:
                    ins[h] += 1
                elif h is None:
                    dels[r] += 1
                elif r != h:
                    subs[(r, h)] += 1
        return subs, dels, ins

    def summary(self) -> dict:
        """summary.json, the schema `push` reads."""
        return {"metric": self.metric, "unit": self.unit, "split": self.split, "dataset": self.dataset,
                "normalization": self.normalization, "totals": self.totals.to_dict(),
                "by_lang": {lang: c.to_dict() for lang, c in self.by_lang.items()},
                "missing_ids": len(self.missing_ids), "extra_ids": len(self.extra_ids)}


def prepare_text(text: str, lang: str, unit: str, normalize: bool) -> str:
    """The string that is tokenised: normalised (word/char) or separator-free units (phone)."""
    if unit == "phone":
        return " ".join(u for u in text.split() if u != WORD_SEPARATOR)
    if normalize:
        return normalize_text(text, lang)
    return " ".join(text.split())


def describe_normalization(unit: str, normalize: bool, langs: Sequence[str]) -> str:
    if unit == "phone":
        return "none (phone units scored as written; '|' word separators dropped)"
    if not normalize:
        return "none (--no-normalize: white space collapsed only)"
    if not langs:
        return describe_rules(None)
    return "; ".join(describe_rules(None if lang == UNKNOWN_LANG else lang) for lang in langs)


def _align(refs: list[str], hyps: list[str], unit: str):
    import jiwer

    if unit == "char":
        out = jiwer.process_characters(refs, hyps)
    else:
        out = jiwer.process_words(refs, hyps)
    return out.references, out.hypotheses, out.alignments


def _counts(ref_len: int, chunks: Sequence[Chunk]) -> Counts:
    corr = sub = dels = ins = 0
    for c in chunks:
        if c.op == "equal":
            corr += c.ref_end - c.ref_start
        elif c.op == "substitute":
            sub += c.ref_end - c.ref_start
        elif c.op == "delete":
            dels += c.ref_end - c.ref_start
        else:
            ins += c.hyp_end - c.hyp_start
    return Counts(ref_len, corr, sub, dels, ins)


def _by_lang(utterances: Sequence[UttScore]) -> dict:
    groups: dict = {}
    for utt in utterances:
        groups[utt.lang] = groups.get(utt.lang, Counts()) + utt.counts
    return dict(sorted(groups.items()))


def _notes(unit: str, langs: Sequence[str], empty_refs: int) -> tuple[str, ...]:
    notes = []
    no_space = [lang for lang in langs if lang.replace("_", "-").split("-")[0].lower() in CER_LANGS]
    if unit == "word" and no_space:
        notes.append(f"{', '.join(no_space)} write(s) no spaces between words: WER counts whole phrases "
                     "there; CER (--unit char) is the meaningful metric")
    if empty_refs:
        notes.append(f"{empty_refs} utterance(s) have an empty reference: their insertions count in the "
                     "totals, but they have no error rate of their own")
    return tuple(notes)


def score_pairs(pairs: Sequence[tuple], unit: str = "word", normalize: bool = True, *,
                split: str = DEFAULT_SPLIT, dataset: Optional[str] = None) -> ScoreResult:
    """Score (id, ref, hyp, lang) tuples. A hyp of None is a missing hypothesis (all deletions).

    The same call backs `sshr score` and finetune's dev evaluation, so both print one number.
    """
    if unit not in UNITS:
        raise ConfigError(f"unit must be one of {', '.join(UNITS)}, not {unit!r}")
    ids, langs, refs, hyps, missing = [], [], [], [], []
    for utt_id, ref, hyp, lang in pairs:
        lang = lang or UNKNOWN_LANG
        ids.append(str(utt_id))
        langs.append(lang)
        refs.append(prepare_text(ref or "", lang, unit, normalize))
        hyps.append(prepare_text(hyp or "", lang, unit, normalize))
        if hyp is None:
            missing.append(str(utt_id))
    ref_toks, hyp_toks, alignments = _align(refs, hyps, unit) if ids else ([], [], [])
    missing_set = set(missing)
    utterances = []
    for utt_id, lang, r, h, al in zip(ids, langs, ref_toks, hyp_toks, alignments):
        chunks = tuple(Chunk(c.type, c.ref_start_idx, c.ref_end_idx, c.hyp_start_idx, c.hyp_end_idx)
                       for c in al)
        utterances.append(UttScore(utt_id, lang, tuple(r), tuple(h), chunks, _counts(len(r), chunks),
                                   utt_id in missing_set))
    totals = sum((u.counts for u in utterances), Counts())
    lang_set = sorted(set(langs))
    return ScoreResult(unit=unit, normalization=describe_normalization(unit, normalize, lang_set),
                       utterances=tuple(utterances), totals=totals, by_lang=_by_lang(utterances),
                       missing_ids=tuple(missing), split=split, dataset=dataset,
                       notes=_notes(unit, lang_set, sum(1 for u in utterances if not u.ref)))


def with_extra_ids(result: ScoreResult, extra_ids: Sequence[str]) -> ScoreResult:
    return replace(result, extra_ids=tuple(extra_ids))
