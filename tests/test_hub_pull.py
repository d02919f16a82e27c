"""Pulling a model by Hub id through a real local mirror: olah (offline mode) on 127.0.0.1
serving a git repo that holds a tiny checkpoint, then the same id again from the HF cache with
HF_HUB_OFFLINE=1. Each load runs in a fresh process: load_recognizer, then the `sshr decode
--model org/name` command line itself.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from helpers_hub import commit_git_repo, hub_env, olah_mirror, save_ctc_checkpoint, save_sshr_checkpoint

DEAD_ENDPOINT = "http://127.0.0.1:9"  # nothing listens here
LOAD = """
import json, sys
import numpy as np
from sshr_cli.errors import SshrError
from sshr_cli.hub import load_recognizer
wave = np.sin(np.arange(16000) * 2 * np.pi * 440 / 16000).astype("float32")
results = []
for name in sys.argv[1:]:
    try:
        rec = load_recognizer(name)
    except SshrError as exc:
        results.append({"error": str(exc)})
        continue
    out = rec([wave])
    results.append({"kind": rec.kind, "vocab": rec.vocab.tokens, "languages": list(rec.languages),
                    "shape": list(out.log_probs.shape), "log_probs": out.log_probs[0, :5].tolist()})
print(json.dumps(results))
"""
REPOS = ("org/tiny-ctc", "org/tiny-sshr")


def load_in_subprocess(names, env: dict) -> list[dict]:
    """load_recognizer(name) for each name in one fresh process: its outputs on a fixed sine wave."""
    proc = subprocess.run([sys.executable, "-c", LOAD, *names], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """olah serving org/tiny-ctc (a tiny HF Wav2Vec2ForCTC) and org/tiny-sshr (a tiny SSHR
    checkpoint), each committed to a local git repo; yields the endpoint and the source folders."""
    root = tmp_path_factory.mktemp("olah")
    sources = (save_ctc_checkpoint(root / "src-ctc"), save_sshr_checkpoint(root / "src-sshr", languages=("en", "de")))
    for repo_id, source in zip(REPOS, sources):
        repo = root / "mirrors" / "models" / repo_id
        shutil.copytree(source, repo)
        commit_git_repo(repo)
    with olah_mirror(root / "mirrors", root) as endpoint:
        yield endpoint, [str(s) for s in sources]


@pytest.mark.slow
def test_hub_id_loads_through_olah_then_offline_from_the_cache(tmp_path, mirror):
    endpoint, sources = mirror
    local = load_in_subprocess(sources, hub_env(DEAD_ENDPOINT, tmp_path / "unused"))
    pulled = load_in_subprocess(REPOS, hub_env(endpoint, tmp_path / "hf"))
    assert pulled == local  # same weights, same outputs
    assert [r["kind"] for r in pulled] == ["hf-ctc", "sshr"] and pulled[1]["languages"] == ["en", "de"]
    for repo_id in REPOS:
        name = repo_id.replace("/", "--")
        assert list((tmp_path / "hf" / "hub").glob(f"models--{name}/snapshots/*/model.safetensors"))
    offline = load_in_subprocess(REPOS, hub_env(DEAD_ENDPOINT, tmp_path / "hf", HF_HUB_OFFLINE=1))
    assert offline == local


def test_unknown_repo_and_uncached_offline_are_one_line_errors(tmp_path, mirror):
    endpoint, _ = mirror
    [missing] = load_in_subprocess(["org/missing"], hub_env(endpoint, tmp_path / "hf"))
    assert missing["error"].startswith("no Hub repo 'org/missing'")
    [offline] = load_in_subprocess(["org/tiny-ctc"], hub_env(DEAD_ENDPOINT, tmp_path / "empty", HF_HUB_OFFLINE=1))
    assert "not in the HF cache" in offline["error"] and "--model PATH" in offline["error"]
    assert "\n" not in missing["error"] + offline["error"]


def decode_json(model: str, clip, env: dict) -> dict:
    """`sshr decode CLIP --model MODEL --format json` in a fresh process; the transcript minus the model name."""
    proc = subprocess.run([sys.executable, "-m", "sshr_cli", "decode", str(clip), "--model", model, "--format", "json"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result.pop("model") == model
    return result


@pytest.mark.slow
def test_sshr_decode_with_a_hub_id_then_offline(tmp_path, mirror):
    import numpy as np
    import soundfile as sf

    endpoint, sources = mirror
    clip = tmp_path / "clip.wav"
    sf.write(clip, (0.1 * np.random.default_rng(0).standard_normal(16_000)).astype("float32"), 16_000)
    local = decode_json(sources[1], clip, hub_env(DEAD_ENDPOINT, tmp_path / "unused"))
    assert local["text"] and local["language"] in ("en", "de")
    assert decode_json("org/tiny-sshr", clip, hub_env(endpoint, tmp_path / "hf")) == local
    assert decode_json("org/tiny-sshr", clip, hub_env(DEAD_ENDPOINT, tmp_path / "hf", HF_HUB_OFFLINE=1)) == local
