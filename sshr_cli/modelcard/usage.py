"""How to load a model, as the model card and a checkpoint folder's README.md say it.

sshr is not on PyPI: the install line says to install it from a checkout. An SSHR checkpoint
carries its own code, so transformers alone loads it with trust_remote_code=True; a baseline
(arch: ctc) is a plain *ForCTC that `pipeline` loads as it is.
"""

from __future__ import annotations

from pathlib import Path

from sshr_cli.modelcard.facts import CheckpointFacts, checkpoint_facts

INSTALL = "sshr is not on PyPI: install it from a checkout of its repository with `pip install .`"


def usage(model: str, facts: CheckpointFacts) -> str:
    """The card's Usage section: sshr's command line and Python API, then transformers alone."""
    return "\n".join(sshr_usage(model, facts) + [""] + transformers_usage(model, facts))


def sshr_usage(model: str, facts: CheckpointFacts) -> list[str]:
    language = ", result.language, result.language_probability" if facts.arch == "sshr" else ""
    return [f"With sshr ({INSTALL}):", "", "```bash", f"sshr decode clip.wav --model {model}", "```", "",
            "```python", "import sshr_cli", "",
            f'model = sshr_cli.load_model("{model}")',
            'result = model.transcribe("clip.wav")  # any audio file, or a 16 kHz mono float array',
            f"print(result.text{language})",
            "print([(w.text, w.start_s, w.end_s) for w in result.words])", "```"]


def transformers_usage(model: str, facts: CheckpointFacts) -> list[str]:
    if facts.remote_code:
        return ["With transformers alone (no sshr needed): the model's code is in the repository, so pass "
                "`trust_remote_code=True` (read its `.py` files first, as for any remote code). Greedy "
                "transcripts equal sshr's; n-gram LM decoding is sshr's own.", "",
                "```python", "from transformers import pipeline", "",
                f'asr = pipeline("automatic-speech-recognition", model="{model}", trust_remote_code=True)',
                'print(asr("clip.wav")["text"])', "```"]
    if facts.plain_ctc:
        return ["It is also a plain transformers checkpoint (no sshr needed):", "", "```python",
                "from transformers import pipeline", "",
                f'asr = pipeline("automatic-speech-recognition", model="{model}")',
                'print(asr("clip.wav")["text"])', "```"]
    return ["transformers cannot load this checkpoint on its own; use sshr."]


def checkpoint_readme(folder: Path, run_dir: Path) -> str:
    """README.md of a checkpoint folder (best/ and last/ share it): what it is and how to load it."""
    facts = checkpoint_facts(folder, run_dir)
    what = [f"architecture `{facts.arch}`", f"languages {', '.join(facts.languages) or 'not recorded'}",
            f"fine-tuned from {facts.encoder or 'an encoder not recorded'}"]
    if facts.units:
        what.append(f"output units: {facts.units}")
    run = str(run_dir)
    return "\n".join([
        f"# {Path(run).name}: an sshr checkpoint", "",
        f"A CTC speech recogniser trained with sshr: {'; '.join(what)}. `best/` is the checkpoint "
        "with the lowest dev error, `last/` the latest (with the optimizer state, to resume); "
        "`train_summary.json` says which update each holds. The recipe is `train_config.yaml`.", "",
        "## Load it with sshr", "", *sshr_usage(run, facts)[2:], "",
        f"The run folder stands for its `best/` checkpoint. {INSTALL}.", "",
        "## Load it with transformers", "", *transformers_usage(f"{run}/best", facts), "",
        "## Publish it", "", f"`sshr push {run}` uploads `best/` with a model card that adds the scores "
        "of `sshr score`; try `--dry-run` first.", ""])
