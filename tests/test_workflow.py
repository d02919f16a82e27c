"""The README's own command lines work as written, in a working folder.

    sshr prepare commonvoice --langs en,de
    sshr finetune            (here: --model tiny_encoder --config <tiny recipe>, as the issue allows)
    sshr decode file.wav
    sshr push --dry-run
    sshr status

Each line runs as its own process (`python -m sshr_cli`), as a user's shell would run it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "synthetic" / "tiny.yaml"


def sshr(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", "HOME": str(cwd / "home"), **(env or {})}
    full_env.pop("SSHR_COMMONVOICE_DIR", None)
    return subprocess.run([sys.executable, "-m", "sshr_cli", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def workdir(cv_corpus, tmp_path_factory):
    work = tmp_path_factory.mktemp("work")
    shutil.copytree(cv_corpus, work / cv_corpus.name)
    (work / "home").mkdir()
    assert sshr(work, "synth", "encoder", "tiny_encoder").returncode == 0
    return work


@pytest.mark.slow
def test_the_exact_lines(workdir):
    proc = sshr(workdir, "prepare", "commonvoice", "--langs", "en,de")
    assert proc.returncode == 0, proc.stderr
    assert (workdir / "data" / "en" / "train.jsonl").is_file()
    assert "cv-corpus-" in proc.stderr  # it says which release it found

    proc = sshr(workdir, "finetune", "--model", "tiny_encoder", "--config", str(RECIPE), "--max-steps", "4",
                "--no-progress")
    assert proc.returncode == 0, proc.stderr
    runs = sorted((workdir / "exp").iterdir())
    assert len(runs) == 1 and (runs[0] / "best" / "config.json").is_file()

    clip = json.loads((workdir / "data" / "en" / "test.jsonl").read_text().splitlines()[0])["audio_filepath"]
    proc = sshr(workdir, "decode", clip)
    assert proc.returncode == 0, proc.stderr
    # 4 updates of a random encoder: a transcript, or an honest note that it is empty
    assert proc.stdout.strip() != "" or "empty transcript" in proc.stderr

    proc = sshr(workdir, "push", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert runs[0].name in proc.stdout + proc.stderr
    # the card, printed: nothing was scored here, so no model-index, but the run's two languages
    assert "would push to <hf-username>/" in proc.stdout and "model-index" not in proc.stdout
    assert re.search(r"^language:\n- (en\n- de|de\n- en)\n", proc.stdout, re.MULTILINE), proc.stdout

    proc = sshr(workdir, "status")
    assert proc.returncode == 0, proc.stderr
    # "en" alone is in the run's name (..._de-en_...): look for the prepared-data rows and the run's languages
    for lang in ("en", "de"):
        assert re.search(rf"^\W*{lang}\W+[\d.]+\W+[\d.]+\W+[\d.]+\W+\d+/\d+/\d+\W*$", proc.stdout, re.MULTILINE), \
            proc.stdout
    assert runs[0].name in proc.stdout and "de,en" in proc.stdout, proc.stdout


def test_no_corpus_is_one_line(tmp_path):
    (tmp_path / "home").mkdir()
    line = one_line_error(sshr(tmp_path, "prepare", "commonvoice", "--langs", "en"))
    assert "--corpus" in line and "Common Voice" in line


def test_decode_without_runs_names_model_flag(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "a.wav").write_bytes(b"")
    line = one_line_error(sshr(tmp_path, "decode", "a.wav"))
    assert "--model" in line


@pytest.mark.slow
def test_offline_default_encoder_is_one_line(workdir, tmp_path):
    """Bare `sshr finetune` wants facebook/mms-300m; offline with an empty cache that is one line."""
    work = tmp_path / "w"
    shutil.copytree(workdir / "data", work / "data")
    (work / "home").mkdir()
    line = one_line_error(sshr(work, "finetune", "--max-steps", "1", env={"HF_HOME": str(tmp_path / "hf")}))
    assert "facebook/mms-300m" in line and "--model" in line
