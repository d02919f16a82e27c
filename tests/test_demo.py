"""`sshr demo` end to end on a very small corpus (the real subcommands, in a temp folder)."""

import pytest

from sshr_cli.demo import DemoOptions, demo_notes, demo_rows, run_demo


@pytest.mark.slow
def test_demo_runs_every_stage(tmp_path):
    echoed = []
    result = run_demo(DemoOptions(out_dir=tmp_path / "demo", langs=("en", "de"), clips_per_lang=12, max_steps=2),
                      echo=echoed.append, capture=True)
    commands = [s.command for s in result.stages]
    for expected in ("sshr synth commonvoice", "sshr prepare commonvoice --langs en,de", "sshr finetune",
                     "sshr decode", "sshr score", "sshr push --dry-run", "sshr lm build"):
        assert any(c.startswith(expected) for c in commands), expected
    assert any(line.startswith("\n") and "$ sshr prepare" in line for line in echoed)  # shown as typed
    rows = demo_rows(result)
    assert {r[1] for r in rows} == {"en", "de", "all"}
    assert all(r[4] == "100.0%" for r in rows)
    assert (tmp_path / "demo" / "exp" / "demo_phonemes" / "score_test" / "summary.json").is_file()
    # two updates cannot beat the baseline, and the demo says so instead of pretending
    assert any("did not beat" in n for n in demo_notes(result))


def test_lm_coverage_counts_test_words_seen_in_train(tmp_path):
    import json

    from sshr_cli.demo import lm_coverage

    (tmp_path / "en").mkdir()
    (tmp_path / "en/train.jsonl").write_text(json.dumps({"text": "the cat sat"}) + "\n")
    (tmp_path / "en/test.jsonl").write_text(json.dumps({"text": "the dog sat down"}) + "\n")
    assert lm_coverage(tmp_path) == 0.5 and lm_coverage(tmp_path / "missing") is None
