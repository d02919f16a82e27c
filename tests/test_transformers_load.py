"""SSHR checkpoints carry their own code: transformers loads exactly the model sshr runs.

Real components throughout: transformers' AutoModelForCTC and ASR pipeline with trust_remote_code,
on a tiny random SSHR checkpoint (language frame + Cross-CTC on) saved the way finetune saves it.
"""

from __future__ import annotations

import ast
import json
import sys

import numpy as np
import pytest
import torch

from helpers_decode import CHAR_VOCAB, espeak
from sshr_cli.audio import load_audio
from sshr_cli.decode import transcribe
from sshr_cli.model.config import SSHRConfig
from sshr_cli.text.vocab import Vocab

SENTENCES = ("hello world", "good morning", "the cat sat on the mat", "seven")
CARRIED_OK = {"torch", "transformers", "safetensors"}  # safetensors: a hard dependency of transformers


@pytest.fixture(scope="module")
def sshr_dir(tmp_path_factory):
    from sshr_cli.model.sshr import SSHRForCTC
    from sshr_cli.model.tiny import save_tiny_encoder

    root = tmp_path_factory.mktemp("sshr_hf")
    torch.manual_seed(0)
    config = SSHRConfig(languages=("en", "de"), lid_layer=1, num_layers=3, cross_ctc_layers=(2, 3))
    model = SSHRForCTC.from_encoder(save_tiny_encoder(root / "encoder"), config, Vocab.from_mapping(CHAR_VOCAB))
    model.save_pretrained(root / "best")
    clips = [espeak(s, root / f"clip{i}.wav") for i, s in enumerate(SENTENCES)]
    return root / "best", clips


def test_config_names_its_own_type_and_code(sshr_dir):
    folder, _ = sshr_dir
    config = json.loads((folder / "config.json").read_text())
    assert config["model_type"] == "sshr" and config["encoder"]["model_type"] == "wav2vec2"
    for target in config["auto_map"].values():
        assert (folder / f"{target.split('.')[0]}.py").is_file()


def test_auto_model_gives_sshr_decode_transcripts(sshr_dir):
    from transformers import AutoModelForCTC, Wav2Vec2Processor

    folder, clips = sshr_dir
    model = AutoModelForCTC.from_pretrained(folder, trust_remote_code=True).eval()
    processor = Wav2Vec2Processor.from_pretrained(folder)
    ours = [t.text for t in transcribe(folder, clips)]
    theirs = []
    for clip in clips:
        inputs = processor(load_audio(clip), sampling_rate=16_000, return_tensors="pt")
        with torch.no_grad():
            ids = model(**inputs).logits.argmax(-1)[0]
        theirs.append(processor.decode(ids))
    assert theirs == ours and any(ours)


def test_pipeline_gives_sshr_decode_transcripts(sshr_dir):
    from transformers import pipeline

    folder, clips = sshr_dir
    asr = pipeline("automatic-speech-recognition", model=str(folder), trust_remote_code=True)
    ours = [t.text for t in transcribe(folder, clips)]
    assert [asr(load_audio(c))["text"] for c in clips] == ours


def test_language_head_matches_sshr(sshr_dir):
    from transformers import AutoModelForCTC

    from sshr_cli.model.sshr import SSHRForCTC

    folder, clips = sshr_dir
    hf = AutoModelForCTC.from_pretrained(folder, trust_remote_code=True).eval()
    ours = SSHRForCTC.from_pretrained(folder).eval()
    x = torch.as_tensor(load_audio(clips[0]))[None]  # [1, S]
    with torch.no_grad():
        a, b = hf(x), ours(x)
    assert hf.languages == ("en", "de")
    torch.testing.assert_close(a.lid_logits, b.lid_logits, rtol=0, atol=0)
    torch.testing.assert_close(a.logits, b.logits, rtol=0, atol=0)


def test_without_trust_remote_code_transformers_refuses(sshr_dir):
    from transformers import AutoModelForCTC

    folder, _ = sshr_dir
    with pytest.raises(ValueError, match="trust_remote_code"):
        AutoModelForCTC.from_pretrained(folder)


def test_carried_code_imports_only_torch_transformers_and_stdlib(sshr_dir):
    folder, _ = sshr_dir
    carried = {p.stem for p in folder.glob("*.py")}
    assert {"modeling_sshr", "configuration_sshr", "sshr"} <= carried
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module.split(".")[0]]
            elif isinstance(node, ast.ImportFrom):
                names = []
                assert node.level == 1 and node.module in carried, f"{path.name}: from {'.' * node.level}{node.module}"
            else:
                continue
            bad = [n for n in names if n not in CARRIED_OK and n not in sys.stdlib_module_names and n != "__future__"]
            assert not bad, f"{path.name} imports {bad}"


def test_carried_code_is_the_code_sshr_runs(sshr_dir):
    import sshr_cli.model

    folder, _ = sshr_dir
    package = sshr_cli.model.__path__[0]
    for path in folder.glob("*.py"):
        assert path.read_bytes() == (type(folder)(package) / path.name).read_bytes()


def test_old_layout_checkpoint_still_loads(sshr_dir, tmp_path):
    """Before model_type "sshr": the encoder's config at the top level, model_type wav2vec2, no code."""
    import shutil

    from sshr_cli.model.sshr import SSHRForCTC

    folder, clips = sshr_dir
    old = tmp_path / "old"
    shutil.copytree(folder, old, ignore=shutil.ignore_patterns("*.py"))
    new = json.loads((folder / "config.json").read_text())
    legacy = {**new["encoder"], "architectures": ["SSHRForCTC"], "sshr": new["sshr"],
              "sshr_versions": new["sshr_versions"]}
    (old / "config.json").write_text(json.dumps(legacy))
    x = torch.as_tensor(load_audio(clips[1]))[None]  # [1, S]
    with torch.no_grad():
        a = SSHRForCTC.from_pretrained(old).eval()(x).logits
        b = SSHRForCTC.from_pretrained(folder).eval()(x).logits
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert [t.text for t in transcribe(old, clips)] == [t.text for t in transcribe(folder, clips)]


def test_baseline_ctc_folder_stays_plain_wav2vec2(tmp_path):
    from transformers import AutoModelForCTC, Wav2Vec2ForCTC

    from sshr_cli.model.sshr import SSHRForCTC
    from sshr_cli.model.tiny import save_tiny_encoder

    model = SSHRForCTC.from_encoder(save_tiny_encoder(tmp_path / "enc"), SSHRConfig(arch="ctc"),
                                    Vocab.from_mapping(CHAR_VOCAB))
    model.save_pretrained(tmp_path / "best")
    config = json.loads((tmp_path / "best" / "config.json").read_text())
    assert config["model_type"] == "wav2vec2" and not list((tmp_path / "best").glob("*.py"))
    hf = AutoModelForCTC.from_pretrained(tmp_path / "best").eval()
    assert type(hf) is Wav2Vec2ForCTC
    x = torch.as_tensor(np.random.default_rng(0).standard_normal(16_000), dtype=torch.float32)[None]  # [1, S]
    with torch.no_grad():
        torch.testing.assert_close(hf(x).logits, model.eval()(x).logits, rtol=1e-5, atol=1e-5)
