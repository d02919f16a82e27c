"""`sshr analyze`: probes on tiny encoders, a planted language signal, and the recommendation rules."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from helpers_analyze import cv_manifests, planted_encoder, tone_corpus
from sshr_cli.analyze import AnalyzeConfig, recommend_layers, run_analysis
from sshr_cli.analyze.data import Utterance, split_by_speaker
from sshr_cli.analyze.labels import SILENCE, aligned_labels, speech_region, uniform_labels
from sshr_cli.cli import app
from sshr_cli.errors import ConfigError, DataError
from sshr_cli.io import write_jsonl
from sshr_cli.model.tiny import save_tiny_ctc, save_tiny_encoder
from sshr_cli.text.vocab import Vocab


@pytest.fixture(scope="module")
def cv_data(cv_corpus, tmp_path_factory):
    return cv_manifests(cv_corpus, tmp_path_factory.mktemp("data"))


def _check_report(report: dict, n_layers: int) -> None:
    assert [row["layer"] for row in report["layers"]] == list(range(n_layers + 1))
    for row in report["layers"]:
        for key in ("language", "content"):
            assert 0.0 <= row[key]["accuracy"] <= 1.0 and 0.0 <= row[key]["true_prob"] <= 1.0
    for key in ("language", "content"):
        assert 0.0 < report[key]["chance"] <= 1.0
    rec = report["recommendation"]
    assert 1 <= rec["lid_layer"] < rec["num_layers"] <= n_layers
    assert all(rec["lid_layer"] < layer <= rec["num_layers"] for layer in rec["cross_ctc_layers"])


@pytest.mark.slow
def test_cli_on_cv_corpus_writes_probabilities_chance_plot_and_overrides(cv_data, tmp_path):
    enc = save_tiny_encoder(tmp_path / "enc", num_hidden_layers=4)
    out = tmp_path / "analysis"
    result = CliRunner().invoke(app, ["analyze", "--model", str(enc), "--data", str(cv_data), "--langs", "en,de",
                                      "--out", str(out), "--device", "cpu", "--max-frames", "1000"])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "layers.json").read_text())
    _check_report(report, 4)
    assert report["content"]["method"] == "uniform" and report["content"]["align_model"] is None
    assert report["language"]["classes"] == ["de", "en"]
    assert report["language"]["test_speakers"] >= 2 and report["skipped"] == []
    assert (out / "layers.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    overrides = yaml.safe_load((out / "recommended.yaml").read_text())
    rec = report["recommendation"]
    assert overrides == {"model.lid_layer": rec["lid_layer"], "model.num_layers": rec["num_layers"],
                         "model.cross_ctc_layers": rec["cross_ctc_layers"]}
    assert f"--set model.lid_layer={rec['lid_layer']}" in result.stdout


def test_forced_alignment_from_a_ctc_checkpoint_labels_the_frames(cv_data, tmp_path):
    rows = [json.loads(line) for p in sorted(cv_data.glob("*/*.jsonl")) for line in p.read_text().splitlines()]
    vocab = Vocab.build(r["units"].split() for r in rows)
    ctc = save_tiny_ctc(tmp_path / "ctc", vocab.mapping(), num_hidden_layers=4)
    # the CTC folder is both the analysed encoder (its wav2vec2 part) and the aligner
    config = AnalyzeConfig(model=str(ctc), data_dir=cv_data, out_dir=tmp_path / "a", align_model=str(ctc),
                           max_frames=1000, device="cpu")
    result = run_analysis(config)
    _check_report(result.report, 4)
    content = result.report["content"]
    assert content["method"] == "forced_align" and content["align_model"] == str(ctc)
    assert result.report["model_kind"] == "hf-ctc"
    assert content["classes"] > 10  # real characters, not one label smeared over everything
    assert "units_not_in_align_vocab" not in result.report["notes"]


def test_an_sshr_checkpoint_is_analysed_through_its_own_forward(cv_data, tmp_path):
    from sshr_cli.model.config import SSHRConfig
    from sshr_cli.model.sshr import SSHRForCTC

    rows = [json.loads(line) for p in sorted(cv_data.glob("*/*.jsonl")) for line in p.read_text().splitlines()]
    vocab = Vocab.build(r["units"].split() for r in rows)
    enc = save_tiny_encoder(tmp_path / "enc", num_hidden_layers=5)
    config = SSHRConfig(lid_layer=2, num_layers=4, cross_ctc_layers=(3, 4), languages=("de", "en"))
    SSHRForCTC.from_encoder(enc, config, vocab).save_pretrained(tmp_path / "run" / "best")
    # a run folder stands for its best checkpoint; the kept layers (4 of 5) are analysed
    result = run_analysis(AnalyzeConfig(model=str(tmp_path / "run"), data_dir=cv_data, out_dir=tmp_path / "a",
                                        max_frames=500, device="cpu"))
    assert result.report["model_kind"] == "sshr" and result.report["encoder_layers"] == 4
    _check_report(result.report, 4)


def test_planted_language_offset_at_layer_k_is_found(tmp_path):
    k = 3
    length_to_lang = tone_corpus(tmp_path / "data")
    enc = save_tiny_encoder(tmp_path / "enc", num_hidden_layers=6)
    config = AnalyzeConfig(model=str(enc), data_dir=tmp_path / "data", out_dir=tmp_path / "a", max_frames=1000)
    result = run_analysis(config, encoder=planted_encoder(enc, k, length_to_lang))
    lang = [row["language"]["accuracy"] for row in result.report["layers"]]
    assert result.recommendation.lid_layer == k
    assert lang[k] == 1.0 and result.report["language"]["chance"] == 0.5
    assert max(lang[:k] + lang[k + 1:]) < 0.8  # the waves themselves say nothing about the language


def test_without_the_plant_no_layer_stands_out(tmp_path):
    tone_corpus(tmp_path / "data")
    enc = save_tiny_encoder(tmp_path / "enc", num_hidden_layers=4)
    result = run_analysis(AnalyzeConfig(model=str(enc), data_dir=tmp_path / "data", out_dir=tmp_path / "a",
                                        max_frames=500, device="cpu"))
    assert max(row["language"]["accuracy"] for row in result.report["layers"]) < 0.8


# ---- pieces, no model
def test_recommend_reads_the_curves():
    lang = [0.5, 0.6, 0.9, 0.95, 0.9, 0.8, 0.7, 0.7, 0.6, 0.6]  # peak at 3 (search 1..5)
    prob = [0.5] * 10
    content = [0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.72, 0.71, 0.6, 0.4]  # peaks at 6, within 0.02 at 7, falls at 8
    rec = recommend_layers(lang, prob, content, content_chance=0.1, count=3)
    assert (rec.lid_layer, rec.num_layers) == (3, 7)
    # rich threshold 0.1 + 0.9 * 0.62 = 0.658: layers 5..7
    assert rec.cross_ctc_layers == (5, 6, 7)
    assert rec.set_flags() == "--set model.lid_layer=3 --set model.num_layers=7 --set 'model.cross_ctc_layers=[5,6,7]'"


def test_recommend_spaces_cross_ctc_evenly_and_ties_go_to_probability():
    lang = [0.5, 1.0, 1.0, 0.7, 0.7]
    prob = [0.5, 0.8, 0.9, 0.6, 0.6]
    content = [0.1, 0.8, 0.8, 0.8, 0.8]
    rec = recommend_layers(lang, prob, content, content_chance=0.1, count=2)
    assert rec.lid_layer == 2 and rec.num_layers == 4 and rec.cross_ctc_layers == (3, 4)


def _utts(lang, speakers, per):
    return [Utterance(f"{lang}{s}_{u}", "x.wav", 1.0, lang, f"{lang}-{s}", ("a",)) for s in range(speakers) for u in range(per)]


def test_split_is_by_speaker_and_holds_out_about_the_fraction():
    utts = split_by_speaker(_utts("en", 10, 3) + _utts("de", 5, 2), 0.3, seed=1)
    for lang in ("en", "de"):
        train = {u.speaker for u in utts if u.lang == lang and not u.test}
        test = {u.speaker for u in utts if u.lang == lang and u.test}
        assert train and test and not train & test
    assert sum(u.test for u in utts if u.lang == "en") == 9


def test_one_speaker_languages_and_one_language_are_refused(tmp_path):
    with pytest.raises(DataError, match="needs at least 2"):
        split_by_speaker(_utts("en", 1, 4) + _utts("de", 3, 2), 0.3, seed=0)
    write_jsonl(tmp_path / "en" / "train.jsonl", [{"id": "a", "audio_filepath": "/a.wav", "duration": 1, "text": "a", "lang": "en"}])
    with pytest.raises(DataError, match="at least 2 languages"):
        run_analysis(AnalyzeConfig(model="unused", data_dir=tmp_path))
    with pytest.raises(ConfigError, match="--max-utts 2: need at least 4"):
        AnalyzeConfig(model="m", data_dir=tmp_path, max_utts=2)


def test_uniform_labels_share_the_speech_region():
    wave = np.zeros(320 * 10, np.float32)
    wave[320 * 2 : 320 * 8] = np.sin(np.arange(320 * 6) * 0.3)
    assert speech_region(wave, 10) == (2, 8)
    assert uniform_labels(["a", "b", "c"], wave, 10) == [SILENCE] * 2 + ["a", "a", "b", "b", "c", "c"] + [SILENCE] * 2


def test_aligned_labels_extend_spikes_to_the_next_unit():
    spans = [("h", 2, 3), ("|", 4, 5), ("i", 6, 7)]
    assert aligned_labels(spans, 9) == [SILENCE, SILENCE, "h", "h", SILENCE, SILENCE, "i", SILENCE, SILENCE]
