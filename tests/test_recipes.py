"""The recipes' run.sh scripts, the ablation YAMLs, the RESULTS.md writer and bench/run_all.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN_SCRIPTS = sorted(ROOT.glob("recipes/*/run.sh"))
SHELL_FILES = RUN_SCRIPTS + [ROOT / "recipes/utils/parse_options.sh", ROOT / "bench/gpu.sh"]
ABLATION = ["baseline", "lid", "deletion", "crossctc", "sshr"]
SSHR = f"{sys.executable} -m sshr_cli"


def bash(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(["bash", *args], capture_output=True, text=True, cwd=cwd or ROOT, env=env, timeout=600)


def test_every_recipe_has_a_run_script():
    assert {p.parent.name for p in RUN_SCRIPTS} == {"commonvoice", "mlsuperb", "synthetic"}


@pytest.mark.parametrize("path", SHELL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_shell_syntax(path):
    r = bash("-n", str(path))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("path", RUN_SCRIPTS + [ROOT / "bench/gpu.sh"], ids=lambda p: str(p.relative_to(ROOT)))
def test_help(path):
    r = bash(str(path), "--help")
    assert r.returncode == 0, r.stderr
    assert "Usage:" in r.stdout
    if path.name == "run.sh":
        assert "--stage" in r.stdout and "--stop-stage" in r.stdout
    assert not r.stdout.startswith("!")  # the shebang is not part of the help


@pytest.mark.parametrize("path", RUN_SCRIPTS, ids=lambda p: p.parent.name)
def test_unknown_option_is_one_line(path):
    r = bash(str(path), "--no-such-option", "1")
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "unknown option --no-such-option" in r.stderr


def test_synthetic_stage_4_runs_every_row_side_by_side_and_reports_failures(tmp_path):
    synthetic = str(ROOT / "recipes/synthetic/run.sh")
    common = ["--stage", "4", "--stop-stage", "4", "--work", str(tmp_path), "--encoders", "random",
              "--tasks", "espeak,spellings", "--seeds", "0,1", "--variants", "baseline,sshr", "--parallel", "2"]
    r = bash(synthetic, *common, "--sshr", "echo", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for task in ("espeak", "spellings"):
        for variant in ("baseline", "sshr"):
            for seed in (0, 1):
                log = (tmp_path / f"{task}/random/{variant}/seed{seed}.log").read_text()
                assert f"ablation/{variant}.yaml" in log and f"train.seed={seed}" in log
                assert f"{task}/data" in log and f"{task}/encoders/random" in log
    r = bash(synthetic, *common, "--sshr", "false", cwd=tmp_path)
    assert r.returncode == 1 and "some finetune runs failed" in r.stderr



def test_synthetic_stages_5_and_6_decode_and_score_every_run_including_forced_languages(tmp_path):
    synthetic = str(ROOT / "recipes/synthetic/run.sh")
    for task, langs in (("espeak", ("en", "de")), ("spellings", ("xa", "xb"))):
        for lang in langs:
            for split in ("dev", "test"):
                (tmp_path / f"{task}/data/{lang}").mkdir(parents=True, exist_ok=True)
                (tmp_path / f"{task}/data/{lang}/{split}.jsonl").write_text(f'{{"id": "{lang}-{split}"}}\n')
    common = ["--stage", "5", "--stop-stage", "6", "--work", str(tmp_path), "--tasks", "espeak,spellings",
              "--langs", "en,de", "--seeds", "0,1", "--variants", "baseline,sshr", "--forced", "sshr",
              "--parallel", "2"]
    fake = tmp_path / "fake_sshr"  # logs its arguments (one line per call) and writes --out, as sshr decode does
    fake.write_text(f'echo "$*" >> {tmp_path}/calls\n'
                    'while [ $# -gt 0 ]; do [ "$1" = --out ] && echo "{}" > "$2"; shift; done\n')
    r = bash(synthetic, *common, "--sshr", f"bash {fake}", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    commands = (tmp_path / "calls").read_text().splitlines()
    for task, (a, b) in (("espeak", ("en", "de")), ("spellings", ("xa", "xb"))):
        for variant in ("baseline", "sshr"):
            for seed in (0, 1):
                run = f"{tmp_path}/{task}/random/{variant}/seed{seed}"
                merged = (Path(run) / "decode/dev.jsonl").read_text()  # every language's dev rows
                assert f"{a}-dev" in merged and f"{b}-dev" in merged
                for split in ("dev", "test"):
                    assert any(c.startswith(f"decode --model {run}/best") and f"{split}.hyps.jsonl" in c
                               for c in commands)
                    assert any(c.startswith(f"score --hyp {run}/decode/{split}.hyps.jsonl") for c in commands)
                forced = [c for c in commands if f"--model {run}/best" in c and "--lang" in c]
                if variant == "baseline":
                    assert not forced
                else:  # the true language, then the next one (wrong), for each language's test set
                    assert {c.split("--lang ")[1].split()[0] + "/" + c.split("/data/")[1].split("/")[0]
                            for c in forced} == {f"{a}/{a}", f"{b}/{b}", f"{b}/{a}", f"{a}/{b}"}
    r = bash(synthetic, *common, "--stop-stage", "5", "--sshr", "false", cwd=tmp_path)
    assert r.returncode == 1 and "some decodes failed" in r.stderr
    (tmp_path / "calls").unlink()
    r = bash(synthetic, *common, "--splits", "test", "--sshr", f"bash {fake}", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    commands = (tmp_path / "calls").read_text().splitlines()
    assert commands and not any("dev.hyps.jsonl" in c for c in commands)
    assert sum("score --hyp" in c and "test.hyps.jsonl" in c for c in commands) == 8  # 2 tasks x 2 rows x 2 seeds

def test_option_needs_a_value():
    r = bash(str(ROOT / "recipes/commonvoice/run.sh"), "--stage")
    assert r.returncode == 2 and "needs a value" in r.stderr


def test_commonvoice_stages_echo_the_sshr_commands(tmp_path):
    # --sshr echo: every sshr command is printed twice (by `run` and by echo) and nothing runs
    r = bash(str(ROOT / "recipes/commonvoice/run.sh"), "--stage", "1", "--stop-stage", "1", "--langs=en,de",
             "--corpus", "cv-corpus-20.0", "--sshr", "echo", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "+ echo prepare commonvoice cv-corpus-20.0 --langs en\\,de --units phonemes --out data/commonvoice" \
        in r.stderr
    r = bash(str(ROOT / "recipes/commonvoice/run.sh"), "--stage", "5", "--sshr", "echo", cwd=tmp_path)
    assert "push exp/commonvoice/baseline --dry-run" in r.stdout
    assert "push exp/commonvoice/sshr --dry-run" in r.stdout
    r = bash(str(ROOT / "recipes/commonvoice/run.sh"), "--stage", "5", "--push-repo", "me", "--sshr", "echo",
             cwd=tmp_path)
    assert "push exp/commonvoice/sshr --repo me/mms-300m-commonvoice-phonemes-sshr" in r.stdout


def test_mlsuperb_stage_1_needs_the_corpus(tmp_path):
    r = bash(str(ROOT / "recipes/mlsuperb/run.sh"), "--stop-stage", "1", "--sshr", "echo", cwd=tmp_path)
    assert r.returncode == 2 and "needs --corpus" in r.stderr
    r = bash(str(ROOT / "recipes/mlsuperb/run.sh"), "--stop-stage", "1", "--corpus", "ms", "--settings", "1h",
             "--few-shot", "false", "--sshr", "echo", cwd=tmp_path)
    assert "prepare mlsuperb ms --setting 1h --no-few-shot --units chars --out data/mlsuperb_1h" in r.stdout


def test_ablation_recipes_differ_only_in_the_model():
    from sshr_cli import config
    from sshr_cli.model.config import SSHRConfig

    cfgs = {v: config.load_recipe(ROOT / f"recipes/synthetic/ablation/{v}.yaml") for v in ABLATION}
    base = cfgs["baseline"].to_dict()
    for v, cfg in cfgs.items():
        d = cfg.to_dict()
        assert {k: d[k] for k in d if k != "model"} == {k: base[k] for k in base if k != "model"}, v
        assert cfg.model.encoder is None  # run.sh gives every row the same encoder folder
        SSHRConfig(**cfg.model.sshr_fields(), languages=("en", "de")).validate(4, 32, 2)
    m = {v: c.model for v, c in cfgs.items()}
    assert m["baseline"].arch == "ctc"
    assert (m["lid"].lid_layer, m["lid"].num_layers, m["lid"].cross_ctc_layers) == (2, None, ())
    assert (m["deletion"].lid_layer, m["deletion"].num_layers, m["deletion"].cross_ctc_layers) == (None, 3, ())
    assert (m["crossctc"].lid_layer, m["crossctc"].num_layers, m["crossctc"].cross_ctc_layers) == (None, None, (3, 4))
    assert (m["sshr"].lid_layer, m["sshr"].num_layers, m["sshr"].cross_ctc_layers) == (2, 3, (2, 3))


# ---------------------------------------------------------------- RESULTS.md
def _summary(rates: dict[str, float]) -> dict:
    def totals(rate):
        return {"n": 100, "corr": 0, "sub": 0, "del": 0, "ins": 0, "err": round(100 * rate), "error_rate": rate}

    return {"metric": "per", "totals": totals(sum(rates.values()) / len(rates)),
            "by_lang": {k: totals(v) for k, v in rates.items()}}


def _write_run(run, dev: dict, test: dict, seconds: str) -> None:
    import struct

    for split, rates in (("dev", dev), ("test", test)):
        (run / f"score_{split}").mkdir(parents=True)
        (run / f"score_{split}" / "summary.json").write_text(json.dumps(_summary(rates)))
    (run / "best").mkdir()
    header = json.dumps({"a": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]},
                         "b": {"dtype": "F32", "shape": [5], "data_offsets": [48, 68]}}).encode()
    (run / "best" / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bytes(68))
    (run / "train_seconds").write_text(seconds)


def test_results_table_from_run_folders(tmp_path):
    _write_run(tmp_path / "random/sshr/seed0", {"en": 0.5, "de": 0.3}, {"en": 0.25, "de": 0.125}, "12.3\n")
    _write_run(tmp_path / "random/sshr/seed1", {"en": 0.7, "de": 0.5}, {"en": 0.45, "de": 0.325}, "13.7\n")
    (tmp_path / "random/sshr/seed0/metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in (
        {"step": 250, "split": "dev", "error_rate": 1.0}, {"step": 500, "split": "dev", "error_rate": 0.6})))
    out = tmp_path / "RESULTS.md"
    r = subprocess.run([sys.executable, str(ROOT / "recipes/synthetic/local/results.py"), "--work", str(tmp_path),
                        "--seeds", "0,1", "--variants", "baseline,sshr", "--langs", "en,de", "--out", str(out)],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    # 3*4 + 5 params; mean train time 13 s; test PER: en (25+45)/2, de (12.5+32.5)/2, all 18.75 and 38.75
    assert "| full SSHR | 17 | 13 | 500 / n/a | - | 35.0 | 22.5 | **28.8 (18.8-38.8)** |" in text
    assert "| full SSHR | 60.0 | 40.0 | **50.0 (40.0-60.0)** |" in text
    assert "| baseline (plain CTC) | n/a | n/a | n/a / n/a | - | n/a | n/a | **n/a** |" in text
    assert "Missing inputs" in text and "random/baseline/seed0/score_test/summary.json" in text
    assert "Not run this time (`--encoders random`)" in text


# ---------------------------------------------------------------- bench/run_all.py
@pytest.fixture()
def run_all():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import run_all

        yield run_all
    finally:
        sys.path.remove(str(ROOT / "bench"))


def test_goal_met(run_all):
    assert run_all.goal_met(2.5, ">=2") == "yes"
    assert run_all.goal_met(1.5, ">=2") == "NO"
    assert run_all.goal_met(1.05, "<=1.10") == "yes"
    assert run_all.goal_met(1.2, "≤1.10") == "NO"
    assert run_all.goal_met(None, ">=2") == "?"
    assert run_all.goal_met(3.0, "") == "-"


def test_parsers_read_the_known_scripts_text(run_all):
    prepare = ("tool                                seconds   clips/s speed vs lhotse\n"
               "lhotse prepare commonvoice -j 2       10.00      16.0     1.00x\n"
               "lhotse prepare commonvoice -j 1       20.00       8.0     0.50x\n"
               "sshr prepare (chars)                   2.00      80.0     5.00x\n")
    (f,) = run_all.parse_prepare(prepare)
    assert (f.sshr, f.anchor, f.ratio, f.anchor_name) == (80.0, 16.0, 5.0, "lhotse prepare commonvoice -j 2")
    lm = ("WER greedy 0.411 | sshr beam+LM 0.007 | HF beam+LM 0.008; identical outputs 200/200\n"
          "sshr BeamPool (spawn, start-up included):    1.00 s    600.0 x real time\n"
          "Wav2Vec2ProcessorWithLM.batch_decode:        3.00 s    200.0 x real time  -> sshr is 3.0x faster\n")
    (f,) = run_all.parse_decode_lm(lm)
    assert (f.row, f.ratio, f.note) == ("5", 3.0, "WER sshr 0.007 vs HF 0.008")


def test_run_all_prints_one_table(run_all, tmp_path, capsys):
    bench = tmp_path / "bench"
    bench.mkdir()
    result = {"row": "2", "measure": "SSHR/baseline step cost", "sshr": 1.2, "anchor": 1.0, "ratio": 1.2,
              "goal": "<=1.10"}
    (bench / "train_step.py").write_text(f"print('chatter')\nprint('RESULT ' + {json.dumps(json.dumps(result))})\n")
    (bench / "broken.py").write_text("raise SystemExit(3)\n")
    rc = run_all.main(["--bench-dir", str(bench), "--log-dir", str(tmp_path / "logs")])
    out = capsys.readouterr().out
    assert rc == 1  # broken.py failed
    line = next(li for li in out.splitlines() if li.startswith("2 "))
    assert "1.2x" in line and "<=1.10" in line and "NO" in line and "RESULT" in line
    assert "missing: bench/prepare.py not found" in out
    assert "broken: exit 3" in out
    assert (tmp_path / "logs" / "train_step.log").read_text().startswith("chatter")


# ---------------------------------------------------------------- a real run, stages 1-2
@pytest.mark.slow
def test_synthetic_recipe_generates_and_prepares(tmp_path):
    r = bash(str(ROOT / "recipes/synthetic/run.sh"), "--stage", "1", "--stop-stage", "2", "--work", "w",
             "--langs", "en,de", "--clips", "12", "--sshr", SSHR, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "+ " in r.stderr and "synth commonvoice w/espeak/corpus" in r.stderr
    assert "synth spellings w/spellings/corpus --clips 12 --seed 0 --cue variant" in r.stderr
    assert "synth spellings w/spellings-tone/corpus --clips 12 --seed 0 --cue tone" in r.stderr
    for task, units, langs in (("espeak", "phonemes", ("en", "de")), ("spellings", "chars", ("xa", "xb")),
                               ("spellings-tone", "chars", ("xa", "xb"))):
        report = json.loads((tmp_path / f"w/{task}/data/prepare_report.json").read_text())
        assert report["units"] == units and set(report["langs"]) == set(langs)
        for lang in langs:
            for split in ("train", "dev", "test"):
                assert (tmp_path / f"w/{task}/data/{lang}/{split}.jsonl").stat().st_size > 0


def test_parsers_for_training_and_memory(run_all):
    step = ("shape tiny, device cpu, precision fp32, batch 4 x 12 s, 5 timed steps\n"
            "ctc   step    100.0 ms     480.0 audio-s/s     0.01 TFLOP/step  MFU n/a (CPU)  peak 0.0 GiB\n"
            "sshr  step    105.0 ms     457.1 audio-s/s     0.01 TFLOP/step  MFU n/a (CPU)  peak 0.0 GiB\n")
    (f,) = run_all.parse_train_step(step)
    assert (f.row, f.sshr, f.anchor, round(f.ratio, 2)) == ("2", 105.0, 100.0, 1.05)
    assert run_all.goal_met(f.ratio, f.goal) == "yes" and "(tiny, cpu)" in f.measure
    hf = ("sshr finetune (arch=ctc)      30.0 audio-s/s  (10.0 s wall)\n"
          "sshr finetune (arch=sshr)     27.0 audio-s/s  (11.1 s wall)\n"
          "HF Trainer + Wav2Vec2ForCTC    15.0 audio-s/s  (20.0 s wall)\n")
    ctc, sshr = run_all.parse_train_vs_hf(hf)
    assert (ctc.ratio, ctc.goal, sshr.ratio, sshr.goal) == (2.0, ">=1.5", 1.8, "")
    mem = "sshr decode                      1 min:     400 MiB    1.0 s | 60 min:     440 MiB   50.0 s | ratio 1.10x memory\n"
    (f,) = run_all.parse_decode_memory(mem)
    assert (f.sshr, f.anchor, round(f.ratio, 2)) == (440.0, 400.0, 1.1)
