"""Model card and push plan: no network. Metadata is read back with huggingface_hub's classes."""

from __future__ import annotations

import shutil

import pytest
from helpers_hub import make_run, save_ctc_checkpoint, save_sshr_checkpoint, summary

from sshr_cli.errors import CheckpointError, ConfigError, DataError
from sshr_cli.hub import check_repo_id, default_repo_name, locate_run, plan_push
from sshr_cli.modelcard import hub_dataset, read_scores


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """Tiny SSHR checkpoint trained (per its recipe) from facebook/mms-300m on en, de."""
    return save_sshr_checkpoint(tmp_path_factory.mktemp("ck") / "best", languages=("en", "de"))


@pytest.fixture(scope="module")
def plain_checkpoint(tmp_path_factory):
    """A plain HF Wav2Vec2ForCTC folder, as the HF example script writes: no sshr section."""
    return save_ctc_checkpoint(tmp_path_factory.mktemp("plain") / "ck")


def parse(card_text: str):
    from huggingface_hub import ModelCard

    return ModelCard(card_text, ignore_metadata_errors=False)


CV17 = "cv-corpus-17.0-2024-03-15"


def test_card_metadata_has_every_field_and_one_result_per_language_and_split(tmp_path, checkpoint):
    run = make_run(tmp_path / "exp", checkpoint, summaries={
        "score_test": summary({"en": 0.25, "de": 0.125}, split="test", dataset=CV17),
        "score_dev": summary({"en": 0.3, "de": 0.2}, split="dev", dataset=CV17),
    })
    plan = plan_push(run, "org/cv-tiny")
    data = parse(plan.card).data
    assert data.language == ["en", "de"]
    assert data.license == "cc-by-nc-4.0"  # facebook/mms-300m's license carries over
    assert set(data.tags) >= {"automatic-speech-recognition", "sshr", "ctc"}
    assert data.base_model == "facebook/mms-300m"
    assert data.library_name == "transformers"  # the SSHR model's code is in the checkpoint (auto_map)
    assert data.datasets == ["common_voice"]  # the Hub's dataset id; the release is in each result's name
    assert data.metrics == ["wer"]  # PER goes under the Hub's `wer` id (edit distance over phonemes)
    assert data.pipeline_tag == "automatic-speech-recognition"
    got = {(r.dataset_config, r.dataset_split, r.metric_type): r.metric_value for r in data.eval_results}
    assert got == {("en", "test", "wer"): 25.0, ("de", "test", "wer"): 12.5,
                   ("en", "dev", "wer"): 30.0, ("de", "dev", "wer"): 20.0}
    en_test = next(r for r in data.eval_results if (r.dataset_config, r.dataset_split) == ("en", "test"))
    assert en_test.dataset_type == "common_voice"
    assert en_test.dataset_name == f"Common Voice 17.0 ({CV17}, en)"
    assert en_test.metric_name == "Test PER (phonemes)"
    assert "split: None" not in plan.card and "split: null" not in plan.card


@pytest.mark.parametrize("dataset, expected", [
    (None, ("local", "local data", None)),
    ("commonvoice", ("common_voice", "Common Voice", None)),
    ("cv-corpus-5.1-2020-06-22", ("common_voice", "Common Voice 5.1", "cv-corpus-5.1-2020-06-22")),
    ("cv-corpus-17.0-delta-2024-03-15", ("common_voice", "Common Voice 17.0", "cv-corpus-17.0-delta-2024-03-15")),
    ("mlsuperb", ("mlsuperb", "mlsuperb", None)),
])
def test_hub_dataset_names_the_common_voice_release(dataset, expected):
    assert hub_dataset(dataset) == expected


def test_card_body_explains_sshr_config_results_and_usage(tmp_path, checkpoint):
    run = make_run(tmp_path / "exp", checkpoint, summaries={"score_test": summary({"en": 0.25, "de": 0.125})})
    (run / "config.yaml").write_text("train:\n  lr: 0.0001\n  max_steps: 20\n", encoding="utf-8")
    body = parse(plan_push(run, "org/cv-tiny").card).text
    for heading in ("## What SSHR is", "## Training configuration", "## Results", "## Usage"):
        assert heading in body
    assert "2309.16937" in body
    assert "| run.train.lr | 0.0001 |" in body
    assert "| en | test | local data | PER | 25.00 | 200 phones | score_test |" in body
    assert "sshr decode clip.wav --model org/cv-tiny" in body
    assert 'sshr_cli.load_model("org/cv-tiny")' in body and 'model.transcribe("clip.wav")' in body
    assert "pip install sshr" not in body and "pip install ." in body  # sshr is not on PyPI


def test_plain_hf_checkpoint_takes_languages_from_scores_and_claims_no_base_model(tmp_path, plain_checkpoint):
    run = make_run(tmp_path / "exp", plain_checkpoint, summaries={"score_test": summary({"fr": 0.5}, metric="cer")})
    data = parse(plan_push(run, "org/x").card).data
    assert data.language == ["fr"]
    assert data.base_model is None and data.license == "unknown"
    assert data.library_name == "transformers"
    assert [(r.metric_type, r.metric_value, r.metric_name) for r in data.eval_results] == [("cer", 50.0, "Test CER")]
    assert data.metrics == ["cer"]


def test_two_summaries_of_one_split_stay_apart(tmp_path, checkpoint):
    run = make_run(tmp_path / "exp", checkpoint, summaries={
        "score_test": summary({"en": 0.25}), "score_test_lm": summary({"en": 0.2})})
    results = parse(plan_push(run, "org/x").card).data.eval_results
    assert sorted((r.metric_name, r.metric_value) for r in results) == [
        ("Test PER (phonemes, score_test)", 25.0), ("Test PER (phonemes, score_test_lm)", 20.0)]


def test_no_scores_means_no_model_index_and_says_so(tmp_path, checkpoint):
    run = make_run(tmp_path / "exp", checkpoint)
    card = plan_push(run, "org/x").card
    assert "model-index" not in card and "run `sshr score`" in card


@pytest.mark.parametrize("change, message", [
    ({"split": None}, "split None"),
    ({"split": "None"}, "split 'None'"),
    ({"metric": "bleu"}, "metric 'bleu'"),
    ({"by_lang": {"en": {"n": 10, "error_rate": 12.0}}}, "outside 0..10"),
    ({"by_lang": {"en": {"n": 10, "error_rate": -0.1}}}, "outside 0..10"),
    ({"by_lang": {"en": {"n": 10, "error_rate": float("nan")}}}, "not a number"),
    ({"by_lang": {"en": {"n": -3, "error_rate": 0.0}}}, "n=-3"),
    ({"by_lang": {"en": {"n": 10, "error_rate": None}}}, "not a number"),
    ({"by_lang": {}}, "no per-language results"),
])
def test_broken_summaries_are_rejected_with_the_file_named(tmp_path, checkpoint, change, message):
    run = make_run(tmp_path / "exp", checkpoint, summaries={"score_test": {**summary({"en": 0.1}), **change}})
    with pytest.raises(DataError) as err:
        read_scores(run)
    assert message in str(err.value) and "score_test/summary.json" in str(err.value)


def test_summaries_written_by_sshr_score_are_read_and_unscorable_languages_left_out(tmp_path, checkpoint):
    from sshr_cli.score import score_pairs, write_reports

    run = make_run(tmp_path / "exp", checkpoint)
    pairs = [("1", "ein hund", "ein hut", "de"), ("2", "a dog", "a dog", "en"), ("3", "", "oops", "fr")]
    write_reports(score_pairs(pairs, unit="word", split="test", dataset="common_voice_17_0"),
                  run / "decode_test" / "score_test")
    scores = read_scores(run)
    assert [(s.lang, s.split, s.metric, s.error_rate, s.source) for s in scores] == [
        ("de", "test", "wer", 0.5, "decode_test/score_test"), ("en", "test", "wer", 0.0, "decode_test/score_test")]


def test_plan_uploads_best_checkpoint_files_only(tmp_path, checkpoint):
    run = make_run(tmp_path / "exp", checkpoint)
    (run / "best" / "optimizer.pt").write_bytes(b"x")
    plan = plan_push(run, "org/x")
    names = [f.name for f in plan.files]
    assert names[:3] == ["config.json", "model.safetensors", "vocab.json"]
    assert "unigrams.txt" in names and "optimizer.pt" not in names and "trainer_state.pt" not in names
    assert all(f.parent == run / "best" for f in plan.files)


def test_locate_run_accepts_run_best_or_bare_checkpoint(tmp_path, checkpoint):
    run = make_run(tmp_path / "exp", checkpoint)
    assert locate_run(run) == (run, run / "best")
    assert locate_run(run / "best") == (run, run / "best")
    bare = shutil.copytree(checkpoint, tmp_path / "downloaded")
    assert locate_run(bare) == (bare, bare)
    shutil.rmtree(run / "best")
    with pytest.raises(CheckpointError, match="no best/"):
        locate_run(run)


def test_missing_weights_is_a_checkpoint_error(tmp_path, checkpoint):
    run = make_run(tmp_path / "exp", checkpoint)
    (run / "best" / "model.safetensors").unlink()
    with pytest.raises(CheckpointError, match="model.safetensors"):
        plan_push(run, "org/x")


def test_repo_names_and_ids(tmp_path):
    assert default_repo_name(tmp_path / "cv sshr+LM 2026..11") == "cv-sshr-LM-2026.11"
    assert check_repo_id("org/name-1.0") == "org/name-1.0"
    for bad in ("no-slash", "a/b/c", "org/bad name", "org/na--me"):
        with pytest.raises(ConfigError, match="bad repo id"):
            check_repo_id(bad)


def test_sshr_config_appears_in_the_table_and_the_card_loads_it_with_remote_code(tmp_path, checkpoint):
    card = plan_push(make_run(tmp_path / "exp", checkpoint), "org/x").card
    assert "| architecture | sshr |" in card and "| sshr.lid_layer | 1 |" in card
    assert "| sshr.cross_ctc_layers | 2, 3 |" in card and "| output units | phonemes, 8 symbols |" in card
    assert "| checkpoint | saved at update 20, the best on dev |" in card
    assert parse(card).data.library_name == "transformers"
    assert 'pipeline("automatic-speech-recognition", model="org/x", trust_remote_code=True)' in card
    assert "not loadable" not in card and "cannot load" not in card


def test_plain_ctc_arch_is_a_transformers_model(tmp_path):
    ck = save_sshr_checkpoint(tmp_path / "best", languages=("sv",), arch="ctc")
    card = plan_push(ck, "org/x").card
    assert parse(card).data.library_name == "transformers"
    assert 'pipeline("automatic-speech-recognition", model="org/x")' in card and "trust_remote_code" not in card


def test_a_local_encoder_is_no_base_model_and_its_path_stays_private(tmp_path):
    ck = save_sshr_checkpoint(tmp_path / "best", encoder_id="/home/alice/private/mms-300m")
    card = plan_push(ck, "org/x").card
    assert parse(card).data.base_model is None
    assert "/home/alice" not in card and "local folder 'mms-300m'" in card


def test_synthetic_corpus_is_no_common_voice_release():
    assert hub_dataset("cv-corpus-0.1-synthetic") == ("cv-corpus-0.1-synthetic", "cv-corpus-0.1-synthetic", None)


def test_every_checkpoint_folder_has_a_readme_that_says_how_to_load_it(checkpoint):
    last = checkpoint.parent / ".best_last"  # save_sshr_checkpoint's last/, promoted to best/
    for folder in (checkpoint, last):
        text = (folder / "README.md").read_text(encoding="utf-8")
        assert "an sshr checkpoint" in text and "fine-tuned from facebook/mms-300m" in text
        assert "sshr_cli.load_model(" in text and "sshr decode clip.wav --model" in text
        assert "trust_remote_code=True" in text and "pip install ." in text
    assert (checkpoint / "README.md").read_text() == (last / "README.md").read_text()


def test_the_checkpoint_readme_is_not_pushed_beside_the_card(tmp_path, checkpoint):
    plan = plan_push(make_run(tmp_path / "exp", checkpoint), "org/x")
    assert "README.md" not in [f.name for f in plan.files] and "## Results" in plan.card


def test_a_tiny_encoder_is_no_base_model(tmp_path):
    ck = save_sshr_checkpoint(tmp_path / "best", encoder_id="tiny")
    assert parse(plan_push(ck, "org/x").card).data.base_model is None
