"""icefall/sclite-style reports: summary.json, errs.txt, recogs.txt, per_utt.jsonl and a rich table.

errs.txt: the overall and per-language rates, then
  PER-UTT DETAILS:  `id:<TAB>the (cat->hat) sat (*->down)`  (`*` = nothing on that side)
  SUBSTITUTIONS / DELETIONS / INSERTIONS: every error, most common first, with its count.
In character reports a space is shown as `▁` (U+2581), so that it stays visible.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from sshr_cli.io import write_json, write_jsonl, write_text
from sshr_cli.score.metrics import Counts, ScoreResult, UttScore

SPACE_MARK = "\u2581"  # how a space character is shown in character-level reports
EMPTY_MARK = "*"  # the missing side of an insertion or deletion, as in sclite and icefall
REPORT_FILES = ("summary.json", "errs.txt", "recogs.txt", "per_utt.jsonl")
TOP_PRINTED = 5  # most common errors of each kind shown on the console


def ranked(counter) -> list:
    """Most common first; ties in a stable, sorted order."""
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def show(token: str) -> str:
    return SPACE_MARK if token == " " else token


def percent(count: int, n: int) -> str:
    return f"{100 * count / n:.2f}" if n else "n/a"


def rate_line(name: str, metric: str, c: Counts) -> str:
    """Kaldi compute-wer's line: `%WER 25.00 [ 3 / 12, 1 ins, 1 del, 1 sub ]`."""
    return (f"{name}%{metric.upper()} {percent(c.err, c.n)} [ {c.err} / {c.n}, "
            f"{c.ins} ins, {c.dels} del, {c.sub} sub ]")


def aligned_line(utt: UttScore) -> str:
    parts = []
    for r, h in utt.pairs():
        if r == h:
            parts.append(show(r))
        else:
            parts.append(f"({EMPTY_MARK if r is None else show(r)}->{EMPTY_MARK if h is None else show(h)})")
    tail = "  [no hypothesis]" if utt.missing else ""
    return f"{utt.id}:\t{' '.join(parts)}{tail}"


def _joined(tokens, unit: str) -> str:
    return "".join(tokens) if unit == "char" else " ".join(tokens)


def errs_text(result: ScoreResult) -> str:
    t, metric = result.totals, result.metric
    lines = [rate_line("", metric, t)]
    lines += [rate_line(f"{lang}: ", metric, c) for lang, c in result.by_lang.items()]
    norm = result.normalization
    lines += [f"unit: {result.unit}", norm if norm.startswith("normalisation") else f"normalisation: {norm}",
              f"Errors: {t.ins} insertions, {t.dels} deletions, {t.sub} substitutions, "
              f"over {t.n} reference {result.unit}s ({t.corr} correct)",
              f"missing hypotheses: {len(result.missing_ids)}; extra hypotheses (not scored): "
              f"{len(result.extra_ids)}"]
    lines += [f"note: {note}" for note in result.notes]
    lines += ["Search below for sections starting with PER-UTT DETAILS:, SUBSTITUTIONS:, DELETIONS:, "
              "INSERTIONS:", "", "PER-UTT DETAILS: corr or (ref->hyp)"]
    lines += [aligned_line(u) for u in result.utterances]
    subs, dels, ins = result.common_errors()
    lines += ["", "SUBSTITUTIONS: count ref -> hyp"]
    lines += [f"{n}   {show(r)} -> {show(h)}" for (r, h), n in ranked(subs)]
    lines += ["", "DELETIONS: count ref"] + [f"{n}   {show(r)}" for r, n in ranked(dels)]
    lines += ["", "INSERTIONS: count hyp"] + [f"{n}   {show(h)}" for h, n in ranked(ins)]
    if result.extra_ids:
        lines += ["", "EXTRA HYPOTHESIS IDS (no reference; not scored):"] + list(result.extra_ids)
    return "\n".join(lines) + "\n"


def recogs_text(result: ScoreResult) -> str:
    lines = []
    for utt in result.utterances:
        lines.append(f"{utt.id}:\tref={_joined(utt.ref, result.unit)}")
        lines.append(f"{utt.id}:\thyp={_joined(utt.hyp, result.unit)}")
    return "\n".join(lines) + "\n"


def per_utt_rows(result: ScoreResult):
    for utt in result.utterances:
        yield {"id": utt.id, "lang": utt.lang, **utt.counts.to_dict(), "missing": utt.missing}


def write_reports(result: ScoreResult, out_dir: str | Path) -> dict[str, Path]:
    """Write the report files into `out_dir` (each atomically; other files there are left alone)."""
    out_dir = Path(out_dir)
    paths = {name: out_dir / name for name in REPORT_FILES}
    write_text(paths["errs.txt"], errs_text(result))
    write_text(paths["recogs.txt"], recogs_text(result))
    write_jsonl(paths["per_utt.jsonl"], per_utt_rows(result))
    write_json(paths["summary.json"], result.summary())  # last: its presence means a complete report
    return paths


def _utt_stats(result: ScoreResult, lang: Optional[str]) -> tuple[int, int]:
    """(utterances, utterances with any error) for one language, or all when lang is None."""
    utts = [u for u in result.utterances if lang is None or u.lang == lang]
    return len(utts), sum(1 for u in utts if u.counts.err)


def summary_table(result: ScoreResult, by_lang: bool = True):
    """A rich Table in sclite's shape: #Utt, N, then Corr/Sub/Del/Ins/Err/S.Err in percent."""
    from rich.table import Table

    title = f"{result.metric.upper()} (%) on {result.split}, {result.unit} units"
    table = Table(title=title, title_justify="left")
    for col in ("Lang", "#Utt", "N", "Corr", "Sub", "Del", "Ins", "Err", "S.Err"):
        table.add_column(col, justify="left" if col == "Lang" else "right")

    def row(name: str, c: Counts, lang: Optional[str], style: Optional[str] = None) -> None:
        n_utt, n_wrong = _utt_stats(result, lang)
        table.add_row(name, str(n_utt), str(c.n), percent(c.corr, c.n), percent(c.sub, c.n),
                      percent(c.dels, c.n), percent(c.ins, c.n), percent(c.err, c.n),
                      percent(n_wrong, n_utt), style=style)

    if by_lang and len(result.by_lang) > 1:
        for lang, c in result.by_lang.items():
            row(lang, c, lang)
        table.add_section()
    row("all" if len(result.by_lang) != 1 else next(iter(result.by_lang)), result.totals, None, "bold")
    return table


def top_errors_lines(result: ScoreResult, k: int = TOP_PRINTED) -> list[str]:
    subs, dels, ins = result.common_errors()
    lines = []
    if subs:
        lines.append("top substitutions: " + ", ".join(f"{show(r)}->{show(h)} ×{n}" for (r, h), n in ranked(subs)[:k]))
    if dels:
        lines.append("top deletions: " + ", ".join(f"{show(r)} ×{n}" for r, n in ranked(dels)[:k]))
    if ins:
        lines.append("top insertions: " + ", ".join(f"{show(h)} ×{n}" for h, n in ranked(ins)[:k]))
    return lines


def default_out_dir(hyp_path: str | Path, split: str) -> Path:
    """Beside the hypothesis file, so a run's decode output is scored inside the run folder."""
    return Path(hyp_path).parent / f"score_{split}"


def _ids_preview(ids, k: int = 5) -> str:
    return ", ".join(ids[:k]) + (f", ... ({len(ids)} in all)" if len(ids) > k else "")


def print_report(result: ScoreResult, console, unit_reason: str = "", by_lang: bool = True) -> None:
    """What `sshr score` shows on stderr: unit, normalisation, warnings, the table, top errors."""
    console.print(f"unit: {result.unit} ({result.metric.upper()})" + (f", {unit_reason}" if unit_reason else ""),
                  markup=False)
    console.print(result.normalization, markup=False, soft_wrap=True)
    if result.missing_ids:
        console.print(f"[yellow]warning:[/] {len(result.missing_ids)} reference id(s) have no hypothesis, "
                      f"scored as all deletions: {_ids_preview(result.missing_ids)}", soft_wrap=True)
    if result.extra_ids:
        console.print(f"[yellow]warning:[/] {len(result.extra_ids)} hypothesis id(s) have no reference, "
                      f"not scored: {_ids_preview(result.extra_ids)}", soft_wrap=True)
    for note in result.notes:
        console.print(f"[cyan]note:[/] {note}", soft_wrap=True)
    console.print(summary_table(result, by_lang))
    for line in top_errors_lines(result):
        console.print(line, markup=False, soft_wrap=True)
