"""prepare_report.json's per-split entries, its warnings, and how `sshr prepare` shows it on screen."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Iterable, Iterator

from rich.markup import escape

from sshr_cli.data.commonvoice import release_of
from sshr_cli.data.manifest import SPLITS
from sshr_cli.text import Vocab

if TYPE_CHECKING:
    from sshr_cli.data.prepare import PrepareResult

HOURS_DIGITS = 6  # rounding in the report
RATE_DIGITS = 6


class SplitStats:
    """A split's report row, counted as its manifest rows stream by (`counted`)."""

    def __init__(self, vocab: Vocab):
        self.vocab, self.kept, self.units, self.unk, self.seconds = vocab, 0, 0, 0, 0.0

    def counted(self, rows: Iterable[dict]) -> Iterator[dict]:
        for row in rows:
            units = row["units"].split()
            self.kept, self.units, self.seconds = self.kept + 1, self.units + len(units), self.seconds + row["duration"]
            self.unk += self.vocab.count_unknown(units)
            yield row

    def report(self, dropped: Counter) -> dict:
        return {"kept": self.kept, "dropped": dict(sorted((k, v) for k, v in dropped.items() if v)),
                "hours": round(self.seconds / 3600, HOURS_DIGITS),
                "unk_rate": round(self.unk / self.units, RATE_DIGITS) if self.units else 0.0}


def report_dataset(report: dict) -> str | None:
    """The dataset a prepare_report.json describes: the corpus release ('cv-corpus-17.0-2024-03-15'),
    else its source ('commonvoice', 'mlsuperb', 'folder'). Reports written before prepare
    recorded the release get it from the corpus folder they name."""
    if report.get("release"):
        return report["release"]
    if report.get("source") == "commonvoice":
        corpus = (report.get("args") or {}).get("corpus_dir")
        return (release_of(corpus) if isinstance(corpus, str) else None) or "commonvoice"
    return report.get("source")


def report_warnings(report: dict) -> list[str]:
    notes = []
    for lang, splits in report["langs"].items():
        if "train" in splits and splits["train"]["kept"] == 0:
            notes.append(f"{lang}: no training utterances kept; its units are not in vocab.json")
    return notes


def report_table(report: dict):
    """The report as a rich Table: one row per language and split."""
    from rich.table import Table

    table = Table(title=f"prepare {report['source']} ({report['units']})", title_justify="left")
    for name, justify in (("lang", "left"), ("split", "left"), ("kept", "right"), ("hours", "right"),
                          ("unk %", "right"), ("dropped", "left")):
        table.add_column(name, justify=justify)
    for lang, splits in sorted(report["langs"].items()):
        for split in [s for s in SPLITS if s in splits]:
            r = splits[split]
            dropped = ", ".join(f"{k} {v}" for k, v in r["dropped"].items()) or "-"
            table.add_row(lang, split, str(r["kept"]), f"{r['hours']:.3f}", f"{100 * r['unk_rate']:.2f}", dropped)
    return table


def print_report(result: "PrepareResult", console) -> None:
    console.print(report_table(result.report))
    for note in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(note)}", soft_wrap=True)
    n_files = sum(len(s) for s in result.report["langs"].values())
    if result.up_to_date:
        console.print(f"up to date: {result.out_dir} already holds this result (same arguments and inputs); "
                      "nothing was redone", soft_wrap=True)
    else:
        console.print(f"wrote {n_files} manifests, vocab.json ({result.report['vocab_size']} units) and "
                      f"prepare_report.json to {result.out_dir}", soft_wrap=True)
