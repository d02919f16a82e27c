"""Training learns: on generated speech, the tiny recipe's dev PER falls.

A real run, end to end through the CLI: espeak-ng speaks a Common Voice layout corpus,
`sshr prepare` turns it into phoneme manifests, `sshr finetune` trains the tiny recipe (SSHR
with a LID frame and Cross-CTC on a random 4-layer transformer over the fixed filterbank front
end), and the best checkpoint decodes a dev clip. Takes about 2 minutes on 2 CPU cores.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sshr_cli.cli import app

LANGS = "en,es"
CLIPS = 60  # per language, train+dev+test
STEPS, EVAL_EVERY = 1500, 300
PER_AFTER = 0.80  # the best dev PER must reach this; an empty transcript scores 1.0

runner = CliRunner()


@pytest.mark.slow
def test_dev_per_falls_on_the_tiny_recipe(tmp_path, monkeypatch):
    from sshr_cli.audio import load_audio
    from sshr_cli.data.synthetic import generate_commonvoice
    from sshr_cli.decode.greedy import collapse
    from sshr_cli.hub import load_recognizer

    monkeypatch.chdir(tmp_path)
    corpus = generate_commonvoice(tmp_path / "cv", LANGS.split(","), clips_per_lang=CLIPS, seed=0, jobs=2)
    prepared = runner.invoke(app, ["prepare", "commonvoice", str(corpus), "--out", "data", "--units", "phonemes"])
    assert prepared.exit_code == 0, prepared.output
    result = runner.invoke(app, ["finetune", "--config", "synthetic/tiny", "--data", "data", "--out", "exp/tiny",
                                 "--no-progress", "--max-steps", str(STEPS),
                                 "--set", f"train.eval_every={EVAL_EVERY}"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp_path / "exp/tiny/metrics.jsonl").read_text().splitlines()]
    dev = [r for r in rows if r["split"] == "dev"]
    rates = [r["error_rate"] for r in dev]  # measured here: 1.00, 0.60, 0.43, 0.40, ... (updates 300, 600, ...)
    assert dev[0]["metric"] == "per" and rates[-1] < rates[0] and min(rates) <= PER_AFTER, rates
    assert dev[-1]["lid_accuracy"] > 0.5  # two languages: chance is 0.5

    rec = load_recognizer(tmp_path / "exp/tiny")
    clip = json.loads((tmp_path / "data/es/dev.jsonl").read_text().splitlines()[0])
    out = rec([load_audio(clip["audio_filepath"])])
    hyp = collapse(out.log_probs[0, : int(out.lengths[0])].argmax(-1).numpy(), rec.vocab)
    assert hyp.text.strip(), "the best checkpoint decodes a dev clip to a non-empty phoneme string"
