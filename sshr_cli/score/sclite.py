"""sclite's view of a score: trn files, and NIST sclite's own figures where it is installed.

    ref.trn, hyp.trn    one line per utterance, the tokens `sshr score` aligned, then (spk_uttid):
                        "ein hund (de_u1)". The language stands as the speaker, so sclite's
                        per-speaker table is a per-language table. Characters (--unit char) are
                        written one per token, a space as <space> (ESPnet's convention).
    sclite.raw, sclite.pra   sclite's raw-count summary and its alignments (when it runs)

sclite comes from Debian's `sctk` package (`sctk sclite ...`) or a `sclite` on PATH. It aligns
with weighted costs (substitution 4, deletion 3, insertion 3), jiwer with unit costs: the total
errors almost always agree, the Sub/Del/Ins split often does not (docs/score.md).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sshr_cli.io import write_text
from sshr_cli.score.metrics import Counts, ScoreResult

REF_TRN, HYP_TRN = "ref.trn", "hyp.trn"
SCLITE_NAME = "sclite"  # sclite -n: its reports are sclite.raw and sclite.pra
SPACE_TOKEN = "<space>"
SCLITE_TIMEOUT_S = 600
_SUM_ROW = re.compile(r"^\s*\|\s*Sum(?:/Avg)?\s*\|\s*(\d+)\s+(\d+)\s*\|\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)")


@dataclass(frozen=True)
class ScliteRun:
    ref_trn: Path
    hyp_trn: Path
    totals: Counts | None  # sclite's own counts; None when sclite is not installed
    note: str  # what happened, for the user


def trn_id(lang: str, utt_id: str) -> str:
    """(spk_uttid) with the language as speaker; sclite splits the speaker off at the first _ or -."""
    speaker = re.sub(r"[^0-9A-Za-z]", "", lang) or "und"
    utt = re.sub(r"[()\s]", "_", utt_id)
    return f"({speaker}_{utt})"


def trn_line(tokens: tuple[str, ...], lang: str, utt_id: str) -> str:
    words = [SPACE_TOKEN if t == " " else t for t in tokens]
    return " ".join([*words, trn_id(lang, utt_id)])


def write_trn(result: ScoreResult, folder: Path) -> tuple[Path, Path]:
    folder = Path(folder)
    ref = "".join(trn_line(u.ref, u.lang, u.id) + "\n" for u in result.utterances)
    hyp = "".join(trn_line(u.hyp, u.lang, u.id) + "\n" for u in result.utterances)
    write_text(folder / REF_TRN, ref)
    write_text(folder / HYP_TRN, hyp)
    return folder / REF_TRN, folder / HYP_TRN


def sclite_command() -> list[str] | None:
    if shutil.which("sclite"):
        return ["sclite"]
    if shutil.which("sctk"):
        return ["sctk", "sclite"]
    return None


def run_sclite(result: ScoreResult, folder: Path) -> ScliteRun:
    """Write the trn files; run sclite on them when it is installed and read its totals back."""
    ref, hyp = write_trn(result, folder)
    command = sclite_command()
    if command is None:
        return ScliteRun(ref, hyp, None, "sclite is not installed (Debian/Ubuntu: apt-get install sctk); "
                                         f"score {REF_TRN} and {HYP_TRN} with it elsewhere")
    args = [*command, "-r", str(ref), "trn", "-h", str(hyp), "trn", "-i", "rm", "-e", "utf-8", "-s",
            "-o", "rsum", "pra", "-O", str(folder), "-n", SCLITE_NAME]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=SCLITE_TIMEOUT_S)
    raw = Path(folder) / f"{SCLITE_NAME}.raw"
    totals = _read_raw(raw) if proc.returncode == 0 and raw.is_file() else None
    if totals is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        return ScliteRun(ref, hyp, None, f"sclite failed ({tail[0]}); the trn files are in {folder}")
    return ScliteRun(ref, hyp, totals, f"sclite's reports: {raw} and {raw.with_suffix('.pra')}")


def _read_raw(path: Path) -> Counts | None:
    """The Sum row of sclite's raw summary: # Snt, # Wrd | Corr Sub Del Ins Err."""
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _SUM_ROW.match(line)
        if m:
            _, n, corr, sub, dels, ins, _err = (int(g) for g in m.groups())
            return Counts(n=n, corr=corr, sub=sub, dels=dels, ins=ins)
    return None


def comparison_table(ours: Counts, theirs: Counts):
    """Our counts and sclite's, one row each, as a rich Table."""
    from rich.table import Table

    table = Table(title="sshr (jiwer, unit costs) beside sclite (costs sub 4, del 3, ins 3)", title_justify="left")
    for column in ("aligner", "ref tokens", "corr", "sub", "del", "ins", "err", "error (%)"):
        table.add_column(column, justify="left" if column == "aligner" else "right")
    for name, c in (("sshr", ours), ("sclite", theirs)):
        rate = f"{100 * c.error_rate:.2f}" if c.error_rate is not None else "-"
        table.add_row(name, *(str(v) for v in (c.n, c.corr, c.sub, c.dels, c.ins, c.err)), rate)
    return table
