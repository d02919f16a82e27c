"""recipes/synthetic/local/bootstrap.py: paired bootstrap intervals from decoded manifests."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "recipes/synthetic/local/bootstrap.py"


def _hyps(runs: Path, row: str, seed: int, pairs: list[tuple[str, str]]) -> None:
    variant, _, mode = row.partition("@")
    folder = runs / variant / f"seed{seed}" / "decode"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"test.{mode}.hyps.jsonl" if mode else "test.hyps.jsonl"
    rows = [{"id": f"u{i}", "text": ref, "pred_text": hyp} for i, (ref, hyp) in enumerate(pairs)]
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows))


def _table(runs: Path, rows: str) -> list[str]:
    r = subprocess.run([sys.executable, str(SCRIPT), "--runs", str(runs), "--seeds", "0,1", "--rows", rows,
                        "--unit", "char", "--draws", "500"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_a_clearly_better_row_is_significant_and_an_equal_one_is_not(tmp_path):
    refs = [f"w{i:02d}ab cdef" for i in range(40)]  # 10 characters each
    for seed in (0, 1):
        _hyps(tmp_path, "baseline", seed, [(r, r[:5]) for r in refs])  # 5 deletions each: 50 %
        _hyps(tmp_path, "good", seed, [(r, r) for r in refs])  # 0 %
        _hyps(tmp_path, "same", seed, [(r, r[:5]) for r in refs])
        _hyps(tmp_path, "good@forced-wrong", seed, [(r, "") for r in refs])  # 100 %
    lines = _table(tmp_path, "baseline,good,same,good@forced-wrong,missing")
    assert "| baseline | 50.0 | - | - | - | - | 80 |" in lines
    assert "| good | 0.0 | baseline | -50.0 | [-50.0, -50.0] | yes | 80 |" in lines
    assert "| same | 50.0 | baseline | +0.0 | [+0.0, +0.0] | no | 80 |" in lines
    assert "| good@forced-wrong | 100.0 | good | +100.0 | [+100.0, +100.0] | yes | 80 |" in lines
    assert "| missing | n/a | baseline | n/a | n/a | n/a | 0 |" in lines


def test_the_interval_covers_a_noisy_difference(tmp_path):
    """Half the utterances better, half worse: the pooled difference is 0 and the interval spans it."""
    refs = [f"abcdefghij{i % 10}" for i in range(60)]
    for seed in (0, 1):
        _hyps(tmp_path, "baseline", seed, [(r, r[:8]) for r in refs])
        _hyps(tmp_path, "mixed", seed, [(r, r if i % 2 else r[:5]) for i, r in enumerate(refs)])
    (line,) = [x for x in _table(tmp_path, "baseline,mixed") if x.startswith("| mixed")]
    cells = [c.strip() for c in line.strip("|").split("|")]
    low, high = (float(v) for v in cells[4].strip("[]").split(","))
    assert low < float(cells[3]) < high and low < 0 < high and cells[5] == "no"


SPELLING = ROOT / "recipes/synthetic/local/spelling.py"


def test_the_spelling_margin_tells_the_own_spelling_from_the_other_and_from_neither(tmp_path):
    from sshr_cli.data.spellings import respell

    refs = [f"the cat sat {i % 10}" for i in range(30)]  # 13 characters, 8 of them differ in the other spelling
    for seed in (0, 1):
        _hyps(tmp_path, "own", seed, [(r, r) for r in refs])
        _hyps(tmp_path, "lid@forced-wrong", seed, [(r, respell(r)) for r in refs])  # follows the wrong language
        _hyps(tmp_path, "deaf", seed, [(r, "") for r in refs])  # as far from both spellings
        _hyps(tmp_path, "unambiguous", seed, [("1 2 3", "1 2 3")])  # nothing to respell: not counted
    r = subprocess.run([sys.executable, str(SPELLING), "--runs", str(tmp_path), "--seeds", "0,1", "--draws", "300",
                        "--rows", "own,lid@forced-wrong,deaf,unambiguous"],
                       capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    margin = 100 * 8 / 13
    assert f"| own | 100% | 0% | +{margin:.1f} | [+{margin:.1f}, +{margin:.1f}] | yes | 60 |" in lines
    assert f"| lid@forced-wrong | 0% | 100% | -{margin:.1f} | [-{margin:.1f}, -{margin:.1f}] | yes | 60 |" in lines
    assert "| deaf | 0% | 0% | +0.0 | [+0.0, +0.0] | no | 60 |" in lines
    assert "| unambiguous | n/a | n/a | n/a | n/a | n/a | 0 |" in lines
