"""`sshr score --sclite`: trn files in sclite's format, and NIST sclite's own counts beside ours.

sclite is Debian's `sctk` (scripts/setup.sh installs it); the tests that run it need it."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from sshr_cli.cli import app
from sshr_cli.score import score_pairs
from sshr_cli.score.sclite import REF_TRN, run_sclite, sclite_command, write_trn

PAIRS = [("u1", "ein hund bellt", "ein hut bellt laut", "de"), ("u2", "the cat", "cat sat", "en"),
         ("cv_en-3", "a dog", None, "en"), ("u4", "", "oops", "en"), ("u5", "la vie est belle", "la vie belle", "fr")]


@pytest.fixture
def sclite_installed():
    if sclite_command() is None:
        pytest.fail("sclite is missing: run the tests through `bash scripts/setup.sh test` (Debian package sctk)")


def test_trn_lines_are_tokens_then_speaker_and_utterance(tmp_path):
    ref, hyp = write_trn(score_pairs(PAIRS, unit="word"), tmp_path)
    assert ref.read_text(encoding="utf-8").splitlines() == [
        "ein hund bellt (de_u1)", "the cat (en_u2)", "a dog (en_cv_en-3)", "(en_u4)", "la vie est belle (fr_u5)"]
    assert hyp.read_text(encoding="utf-8").splitlines() == [
        "ein hut bellt laut (de_u1)", "cat sat (en_u2)", "(en_cv_en-3)", "oops (en_u4)", "la vie belle (fr_u5)"]


def test_characters_are_one_token_each_with_space_spelled_out(tmp_path):
    ref, _ = write_trn(score_pairs([("u 1", "ab c", "ab", "pt-BR")], unit="char"), tmp_path)
    assert ref.read_text(encoding="utf-8") == "a b <space> c (ptBR_u_1)\n"


def test_sclite_totals_equal_ours_and_its_split_is_its_own(tmp_path, sclite_installed):
    result = score_pairs(PAIRS, unit="word")
    run = run_sclite(result, tmp_path)
    assert run.totals is not None, run.note
    assert (run.totals.n, run.totals.err) == (result.totals.n, result.totals.err)
    assert (tmp_path / "sclite.pra").is_file()
    # docs/score.md's example: unit costs take two substitutions, sclite's weights a deletion and an insertion
    example = score_pairs([("u2", "the cat", "cat sat", "en")], unit="word")
    theirs = run_sclite(example, tmp_path / "example").totals
    assert (example.totals.sub, example.totals.dels, example.totals.ins) == (2, 0, 0)
    assert (theirs.sub, theirs.dels, theirs.ins) == (0, 1, 1) and theirs.err == example.totals.err == 2


@pytest.mark.parametrize("unit, pairs", [
    ("phone", [("u1", "h ə | l oʊ", "h ɛ | l oʊ ʊ", "en"), ("u2", "ʃ ø n", "ʃ n", "de")]),
    ("char", [("u1", "grüße dich", "grüse dich", "de"), ("u2", "ça va", "sa va", "fr")]),
])
def test_sclite_agrees_on_utf8_phones_and_characters(tmp_path, sclite_installed, unit, pairs):
    result = score_pairs(pairs, unit=unit)
    theirs = run_sclite(result, tmp_path).totals
    assert theirs is not None and (theirs.n, theirs.err) == (result.totals.n, result.totals.err)


def test_without_sclite_the_trn_files_are_written_and_the_note_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    run = run_sclite(score_pairs(PAIRS, unit="word"), tmp_path)
    assert run.totals is None and "apt-get install sctk" in run.note
    assert (tmp_path / REF_TRN).is_file() and not (tmp_path / "sclite.raw").exists()


def test_cli_shows_sclite_beside_ours(tmp_path, sclite_installed):
    (tmp_path / "ref").write_text("u1 the cat\nu2 a dog\n", encoding="utf-8")
    (tmp_path / "hyp").write_text("u1 cat sat\nu2 a dog\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["score", "--ref", str(tmp_path / "ref"), "--hyp", str(tmp_path / "hyp"),
                                      "--lang", "en", "-o", str(tmp_path / "out"), "--sclite"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "ref.trn").read_text(encoding="utf-8") == "the cat (en_u1)\na dog (en_u2)\n"
    cells = [[c.strip() for c in line.strip().strip("│").split("│")] for line in result.output.splitlines()
             if line.startswith("│")]
    rows = {row[0]: row[1:] for row in cells if row[0] in ("sshr", "sclite")}
    # ref tokens, corr, sub, del, ins, err, error (%): the same total, sclite's own split
    assert rows == {"sshr": ["4", "2", "2", "0", "0", "2", "50.00"], "sclite": ["4", "3", "0", "1", "1", "2", "50.00"]}
