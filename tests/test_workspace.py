import pytest

from sshr_cli.errors import DataError
from sshr_cli.workspace import load_workspace


def test_precedence_flag_env_toml_default(tmp_path, monkeypatch):
    monkeypatch.delenv("SSHR_DATA_DIR", raising=False)
    ws = load_workspace(tmp_path)
    assert ws.data_dir() == tmp_path / "data"
    (tmp_path / "sshr.toml").write_text('[paths]\ndata = "prepared"\n')
    ws = load_workspace(tmp_path)
    assert ws.data_dir() == tmp_path / "prepared"
    monkeypatch.setenv("SSHR_DATA_DIR", "/from/env")
    assert ws.data_dir().as_posix() == "/from/env"
    assert ws.data_dir("flagged") == tmp_path / "flagged"


def test_newest_commonvoice_release_is_picked(tmp_path, monkeypatch):
    monkeypatch.delenv("SSHR_COMMONVOICE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("cv-corpus-9.0-2022-04-27", "cv-corpus-17.0-2024-03-15", "cv-corpus-12.0-2022-12-07"):
        (tmp_path / name).mkdir()
    path, how = load_workspace(tmp_path).commonvoice_dir()
    assert path.name == "cv-corpus-17.0-2024-03-15" and "newest of 3" in how


def test_no_release_is_a_one_line_error_naming_the_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("SSHR_COMMONVOICE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(DataError) as info:
        load_workspace(tmp_path).commonvoice_dir()
    message = str(info.value)
    assert "\n" not in message and "--corpus" in message and "SSHR_COMMONVOICE_DIR" in message


def test_latest_run_round_trips(tmp_path):
    ws = load_workspace(tmp_path)
    assert ws.latest_run() is None
    (tmp_path / "exp" / "a").mkdir(parents=True)
    (tmp_path / "exp" / "b").mkdir(parents=True)
    ws.record_run(tmp_path / "exp" / "a")
    ws.record_run(tmp_path / "exp" / "b")
    assert load_workspace(tmp_path).latest_run() == tmp_path / "exp" / "b"
    assert [p.name for p in ws.runs()] == ["a", "b"]
