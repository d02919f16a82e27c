"""`sshr push` end to end, as a user runs it (a subprocess with HF_TOKEN / HF_ENDPOINT).

The server is `helpers_hub.HubStandIn` on 127.0.0.1: a protocol-level stand-in for the Hub's
write API (whoami-v2, repos/create, validate-yaml, preupload, LFS batch + PUT, NDJSON commit),
because olah is read-only and no uploadable Hub server runs here. It is real HTTP driven by
huggingface_hub 2.4's own client code, so the requests are the ones the real Hub would get.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_hub import HubStandIn, hub_env, make_run, run_sshr, save_sshr_checkpoint, summary

TOKEN = "hf_SENTINEL_do_not_leak_4f1c2b"  # a sentinel: it must never appear in any output or file


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return save_sshr_checkpoint(tmp_path_factory.mktemp("ck") / "best", languages=("en", "de"))


@pytest.fixture
def run(tmp_path, checkpoint):
    return make_run(tmp_path / "exp", checkpoint, name="cv_tiny",
                    summaries={"score_test": summary({"en": 0.25, "de": 0.125})})


@pytest.fixture
def hub():
    with HubStandIn(TOKEN, user="alice", orgs=("team",)) as server:
        yield server


def one_line_error(proc) -> str:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_push_uploads_the_best_checkpoint_and_card_byte_for_byte(tmp_path, run, hub):
    """Protocol-level stand-in (see the module docstring): the files that arrive are compared byte for byte."""
    proc = run_sshr(["push", str(run), "--repo", "team/cv-tiny", "--commit-message", "first"],
                    hub_env(hub.endpoint, tmp_path / "hf", TOKEN))
    assert proc.returncode == 0, proc.stderr
    files = hub.files("team/cv-tiny")
    code = sorted(p.name for p in (run / "best").glob("*.py"))  # the SSHR model's own code (auto_map)
    assert "modeling_sshr.py" in code
    expected = sorted(["README.md", "added_tokens.json", "config.json", "model.safetensors", "preprocessor_config.json",
                       "tokenizer_config.json", "unigrams.txt", "vocab.json", *code])
    assert sorted(files) == expected  # nothing from last/, no optimizer or trainer state
    for name in expected:
        if name != "README.md":
            assert files[name] == (run / "best" / name).read_bytes(), name
    assert "lfs-upload" in hub.calls  # model.safetensors went through LFS, the rest inline
    assert hub.commits[-1]["summary"] == "first"
    assert b"model-index" in files["README.md"] and b"base_model: facebook/mms-300m" in files["README.md"]
    assert f"pushed {len(expected)} files to team/cv-tiny" in proc.stderr


def test_the_token_is_never_printed_or_written(tmp_path, run, hub):
    env = hub_env(hub.endpoint, tmp_path / "hf", TOKEN)
    hub.fail("commit", 500)
    procs = [run_sshr(["push", str(run), "--repo", "team/a"], env),  # fails
             run_sshr(["push", str(run), "--repo", "team/a"], env),  # succeeds
             run_sshr(["push", str(run), "--repo", "nobody/a"], env),  # 403
             run_sshr(["push", str(run), "--dry-run"], env)]
    assert [p.returncode for p in procs] == [1, 0, 1, 0]
    assert hub.seen_auth == {f"Bearer {TOKEN}"}  # it was used ...
    for proc in procs:  # ... and never shown
        assert TOKEN not in proc.stdout + proc.stderr
    for path in Path(tmp_path).rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    for content in hub.files("team/a").values():
        assert TOKEN.encode() not in content


def test_bare_push_sends_the_latest_run_to_the_token_owner(tmp_path, run, hub):
    from sshr_cli.workspace import load_workspace

    load_workspace(tmp_path).record_run(run)
    proc = run_sshr(["push"], hub_env(hub.endpoint, tmp_path / "hf", TOKEN), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "alice/cv_tiny" in hub.repos and "whoami" in hub.calls
    assert sorted(hub.files("alice/cv_tiny"))[0] == "README.md"


def test_bare_dry_run_needs_no_token_and_no_network(tmp_path, run):
    from sshr_cli.workspace import load_workspace

    load_workspace(tmp_path).record_run(run)
    dead = "http://127.0.0.1:9"  # nothing listens: any request would fail the command
    proc = run_sshr(["push", "--dry-run"], hub_env(dead, tmp_path / "hf"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "would push to <hf-username>/cv_tiny" in proc.stdout
    for name in ("config.json", "model.safetensors", "vocab.json", "unigrams.txt", "README.md"):
        assert f"  {name}  " in proc.stdout
    assert "trainer_state" not in proc.stdout
    assert "model-index:" in proc.stdout and "## Usage" in proc.stdout


def test_no_token_says_how_to_log_in(tmp_path, run, hub):
    err = one_line_error(run_sshr(["push", str(run)], hub_env(hub.endpoint, tmp_path / "hf")))
    assert "hf auth login" in err and "HF_TOKEN" in err
    assert hub.calls == []


def test_wrong_token_is_refused_with_the_login_hint(tmp_path, run, hub):
    err = one_line_error(run_sshr(["push", str(run), "--repo", "team/x"],
                                  hub_env(hub.endpoint, tmp_path / "hf", "hf_wrong")))
    assert "rejected the token" in err and "hf auth login" in err


def test_bad_repo_id_fails_before_any_request(tmp_path, run, hub):
    proc = run_sshr(["push", str(run), "--repo", "team/bad name"], hub_env(hub.endpoint, tmp_path / "hf", TOKEN))
    assert "bad repo id 'team/bad name'" in one_line_error(proc)
    assert proc.returncode == 2 and hub.calls == []


def test_a_broken_summary_stops_the_push_before_any_request(tmp_path, run, hub):
    (run / "score_test" / "summary.json").write_text('{"metric": "wer", "split": null, "by_lang": {}}')
    err = one_line_error(run_sshr(["push", str(run)], hub_env(hub.endpoint, tmp_path / "hf", TOKEN)))
    assert "split None" in err and "summary.json" in err
    assert hub.calls == []


def test_a_namespace_we_cannot_write_is_a_403_line(tmp_path, run, hub):
    err = one_line_error(run_sshr(["push", str(run), "--repo", "bob/x"], hub_env(hub.endpoint, tmp_path / "hf", TOKEN)))
    assert "refused to write to bob/x (403" in err and "write access to 'bob'" in err


def test_server_error_then_retry_succeeds(tmp_path, run, hub):
    env = hub_env(hub.endpoint, tmp_path / "hf", TOKEN)
    hub.fail("commit", 500)
    err = one_line_error(run_sshr(["push", str(run), "--repo", "team/x"], env))
    assert "answered 500" in err and "re-run `sshr push`" in err
    assert hub.files("team/x") == {}  # nothing committed
    assert run_sshr(["push", str(run), "--repo", "team/x"], env).returncode == 0
    assert hub.files("team/x")["model.safetensors"] == (run / "best" / "model.safetensors").read_bytes()


def test_interrupted_upload_then_retry_succeeds_and_reuses_stored_weights(tmp_path, run, hub):
    env = hub_env(hub.endpoint, tmp_path / "hf", TOKEN)
    hub.fail("commit", "drop")  # the connection dies after the weights went up, before the commit
    err = one_line_error(run_sshr(["push", str(run), "--repo", "team/x"], env))
    assert "connection to the Hub broke" in err
    assert hub.commits == [] and hub.calls.count("lfs-upload") == 1
    proc = run_sshr(["push", str(run), "--repo", "team/x"], env)
    assert proc.returncode == 0, proc.stderr
    assert hub.calls.count("lfs-upload") == 1  # the stored object was not sent again
    files = hub.files("team/x")
    assert files["model.safetensors"] == (run / "best" / "model.safetensors").read_bytes()
    assert files["config.json"] == (run / "best" / "config.json").read_bytes()


def test_private_repo_on_a_new_branch(tmp_path, run, hub):
    proc = run_sshr(["push", str(run), "--repo", "team/p", "--private", "--revision", "v1"],
                    hub_env(hub.endpoint, tmp_path / "hf", TOKEN))
    assert proc.returncode == 0, proc.stderr
    assert hub.repos["team/p"]["private"] is True
    assert hub.files("team/p", "main") == {} and "vocab.json" in hub.files("team/p", "v1")


def test_no_run_recorded_names_the_argument(tmp_path):
    err = one_line_error(run_sshr(["push", "--dry-run"], hub_env("http://127.0.0.1:9", tmp_path / "hf"), cwd=tmp_path))
    assert "sshr push exp/NAME" in err
