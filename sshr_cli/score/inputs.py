"""Read references and hypotheses (JSONL manifests or Kaldi `id text` files) and pair them by id.

Fields read from a manifest line, per unit:
  reference:  `text` (word/char) or `units` (phone)
  hypothesis: `pred_text` (word/char) or `pred_units` (phone) when any line has it (a line
              without it is then a missing hypothesis), else `text` / `units`
A Kaldi-style line is `ID TEXT` (TEXT may be empty); its text is read as whatever unit is scored.
Pairing is by id, never by line order; duplicated ids are an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from sshr_cli.data.manifest import SPLITS, report_path
from sshr_cli.data.report import report_dataset
from sshr_cli.errors import ConfigError, DataError
from sshr_cli.io import read_json
from sshr_cli.score.metrics import UNITS, ScoreResult, score_pairs, with_extra_ids

UNIT_CHOICES = UNITS + ("auto",)
REF_FIELD = {"word": "text", "char": "text", "phone": "units"}
HYP_FIELD = {"word": "pred_text", "char": "pred_text", "phone": "pred_units"}
PRED_FIELDS = ("pred_text", "pred_units")  # what decode adds to a manifest; every other field is the reference's
UNIT_NAMES = {"word": "words", "char": "characters", "phone": "phonemes"}


@dataclass(frozen=True)
class Transcripts:
    path: Path
    kind: str  # "jsonl" | "kaldi"
    rows: dict  # id -> dict (manifest line, or {"text": ...} for Kaldi files); file order kept

    def has_field(self, name: str) -> bool:
        return self.kind == "jsonl" and bool(self.rows) and all(name in r for r in self.rows.values())


def _is_jsonl(path: Path, first_line: str) -> bool:
    return path.suffix in (".jsonl", ".json") or first_line.lstrip().startswith("{")


def _parse_jsonl_line(path: Path, n: int, line: str) -> tuple[str, dict]:
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise DataError(f"{path}:{n}: not a JSON object ({exc.__class__.__name__}: {exc}); "
                        "expected one JSON object per line") from None
    if not isinstance(row, dict) or "id" not in row:
        raise DataError(f"{path}:{n}: expected a JSON object with an \"id\" field")
    return str(row["id"]), row


def _parse_kaldi_line(path: Path, n: int, line: str) -> tuple[str, dict]:
    parts = line.strip().split(maxsplit=1)
    return parts[0], {"text": parts[1] if len(parts) > 1 else ""}


def read_transcripts(path: str | Path) -> Transcripts:
    """A manifest or Kaldi text file -> rows by id; one-line DataError on bad input."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"transcript file not found: {path} (pass a JSONL manifest or a Kaldi `id text` file)")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
    kind = "jsonl" if numbered and _is_jsonl(path, numbered[0][1]) else "kaldi"
    parse = _parse_jsonl_line if kind == "jsonl" else _parse_kaldi_line
    rows: dict = {}
    for n, line in numbered:
        utt_id, row = parse(path, n, line)
        if utt_id in rows:
            raise DataError(f"{path}:{n}: id {utt_id!r} appears twice; ids must be unique")
        rows[utt_id] = row
    return Transcripts(path, kind, rows)


def _report_units(ref: Transcripts) -> Optional[dict]:
    """prepare_report.json for a manifest at DATA/<lang>/<split>.jsonl, if there is one."""
    report = report_path(ref.path.resolve().parent.parent)
    if ref.kind != "jsonl" or not report.is_file():
        return None
    report_data = read_json(report, DataError, hint="re-run `sshr prepare`, or pass --unit")
    return report_data if isinstance(report_data, dict) else None


def choose_unit(unit: str, ref: Transcripts, hyp: Transcripts) -> tuple[str, str]:
    """(unit, why): `auto` picks phone for phoneme manifests, word otherwise."""
    if unit not in UNIT_CHOICES:
        raise ConfigError(f"--unit must be one of {', '.join(UNIT_CHOICES)}, not {unit!r}")
    if unit != "auto":
        return unit, "--unit"
    report = _report_units(ref)
    if report and report.get("units") in ("phonemes", "chars"):
        picked = "phone" if report["units"] == "phonemes" else "word"
        return picked, f"prepare_report.json says units are {report['units']}"
    if ref.has_field("units") and hyp.has_field("pred_units"):
        return "phone", "the reference has units and the hypothesis has pred_units"
    return "word", "no phoneme units found"


def _text(t: Transcripts, utt_id: str, fields: tuple[str, ...], role: str) -> str:
    row = t.rows[utt_id]
    for name in fields:
        if name in row:
            value = row[name]
            if value is None:
                return ""
            if not isinstance(value, str):
                raise DataError(f"{t.path}: id {utt_id!r}: field {name!r} must be a string, not {value!r}")
            return value
    raise DataError(f"{t.path}: id {utt_id!r} has no {' or '.join(fields)} field for the {role} "
                    "(pick another --unit, or pass the right file)")


def _lang(ref: Transcripts, hyp: Transcripts, utt_id: str, default: Optional[str]) -> Optional[str]:
    for t in (ref, hyp):
        lang = t.rows.get(utt_id, {}).get("lang")
        if isinstance(lang, str) and lang:
            return lang
    return default


def _hyp_fields(ref: Transcripts, hyp: Transcripts, unit: str) -> tuple[str, ...]:
    """pred_X when any line has it (then a line without it is a missing hypothesis). X only in a file
    with no pred_* field at all: a decode manifest's text/units are the reference's, copied, and
    scoring them would score the reference against itself."""
    if hyp.kind == "kaldi":
        return ("text",)
    pred, plain = HYP_FIELD[unit], REF_FIELD[unit]
    if hyp is ref or any(pred in row for row in hyp.rows.values()):
        return (pred,)
    has = sorted({f for row in hyp.rows.values() for f in PRED_FIELDS if f in row})
    if has:
        raise DataError(f"{hyp.path}: the hypotheses carry {' and '.join(has)} ({_kind(has)}) but {unit} scoring "
                        f"needs {pred}: the reference {ref.path.name} is scored in {UNIT_NAMES[unit]}; decode with a "
                        f"model of those units, or pass --unit {'char' if unit == 'phone' else 'phone'}")
    if any(plain in row for row in hyp.rows.values()):
        return (plain,)
    raise DataError(f"{hyp.path}: no line has a {pred} or {plain} field for {unit} scoring "
                    "(pick another --unit, or pass the right file)")


def _kind(fields: list[str]) -> str:
    return " and ".join(UNIT_NAMES["phone" if f == "pred_units" else "char"] for f in fields)


def pair_by_id(ref: Transcripts, hyp: Transcripts, unit: str, lang: Optional[str] = None):
    """(pairs in reference order, extra hypothesis ids). A missing hypothesis pairs with None."""
    ref_fields = ("text",) if ref.kind == "kaldi" else (REF_FIELD[unit],)
    hyp_fields = _hyp_fields(ref, hyp, unit)
    pairs = []
    for utt_id in ref.rows:
        present = utt_id in hyp.rows and any(f in hyp.rows[utt_id] for f in hyp_fields)
        hyp_text = _text(hyp, utt_id, hyp_fields, "hypothesis") if present else None
        pairs.append((utt_id, _text(ref, utt_id, ref_fields, "reference"), hyp_text,
                      _lang(ref, hyp, utt_id, lang)))
    extra = [utt_id for utt_id in hyp.rows if utt_id not in ref.rows]
    return pairs, extra


def _split_of(path: Path, split: Optional[str]) -> str:
    """--split, else DATA/<lang>/<split>.jsonl or Kaldi's data/<split>/text, else the file's stem."""
    if split:
        return split
    for name in (path.stem, path.stem.split(".")[0], path.resolve().parent.name):  # test.hyps -> test
        if name in SPLITS:
            return name
    return path.stem


def score_files(hyp_path: str | Path, ref_path: str | Path | None = None, unit: str = "auto",
                normalize: bool = True, lang: Optional[str] = None, split: Optional[str] = None,
                dataset: Optional[str] = None) -> tuple[ScoreResult, str]:
    """Score a hypothesis file against a reference file -> (result, why this unit).

    With no reference file, the hypothesis must be a decode manifest carrying `text` too.
    """
    hyp = read_transcripts(hyp_path)
    if ref_path is None:
        if not (hyp.has_field("text") and any("pred_text" in r or "pred_units" in r for r in hyp.rows.values())):
            raise ConfigError(f"{hyp.path} does not carry both text and pred_text: pass the reference with --ref")
        ref = hyp
    else:
        ref = read_transcripts(ref_path)
    if not ref.rows:
        raise DataError(f"{ref.path} holds no utterances")
    unit, why = choose_unit(unit, ref, hyp)
    pairs, extra = pair_by_id(ref, hyp, unit, lang)
    report = _report_units(ref) or {}
    result = score_pairs(pairs, unit, normalize, split=_split_of(ref.path, split),
                         dataset=dataset or report_dataset(report))
    return with_extra_ids(result, extra), why
