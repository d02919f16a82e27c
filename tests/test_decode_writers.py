import json

import pytest

from helpers_decode import parse_srt, parse_vtt
from sshr_cli.decode.result import Transcript, Word
from sshr_cli.decode.timestamps import clock, segments
from sshr_cli.decode.writers import FORMATS, parse_formats, render, write_outputs
from sshr_cli.errors import ConfigError

WORDS = [Word("hello", 0.10, 0.48), Word("world", 0.52, 0.90),  # pause > 0.8 s: new cue
         Word("again", 2.00, 2.40), Word("and", 2.44, 2.60), Word("again", 2.64, 3725.5)]
T = Transcript("/x/a.wav", "a", "hello world again and again", WORDS, duration_s=3726.0, lang="en", lang_prob=0.93)


def test_clock_formats():
    assert clock(3725.5) == "01:02:05,500"
    assert clock(0.0456, ".") == "00:00:00.046"


def test_segments_break_at_pauses():
    cues = segments(WORDS)
    assert [c.text for c in cues] == ["hello world", "again and", "again"]  # last one is too long
    assert (cues[0].start_s, cues[0].end_s) == (0.10, 0.90)


def test_srt_parses_and_keeps_times():
    cues = parse_srt(render(T, "srt"))
    assert cues[0] == (0.1, 0.9, "hello world")
    assert cues[-1][1] == 3725.5


def test_vtt_parses_and_keeps_times():
    cues = parse_vtt(render(T, "vtt"))
    assert [c[2] for c in cues] == ["hello world", "again and", "again"]
    assert cues[1][:2] == (2.0, 2.6)


def test_json_carries_words_language_and_settings():
    obj = json.loads(render(T, "json", {"model": "m", "decoder": {"type": "greedy"}}))
    assert obj["text"] == T.text and obj["language"] == "en" and obj["language_probability"] == 0.93
    assert obj["words"][1] == {"word": "world", "start": 0.52, "end": 0.9}
    assert obj["model"] == "m" and obj["decoder"]["type"] == "greedy"


def test_tsv_is_whisper_style_milliseconds():
    lines = render(T, "tsv").splitlines()
    assert lines[0] == "start\tend\ttext" and lines[1] == "100\t900\thello world"


def test_empty_transcript_writes_valid_empty_files(tmp_path):
    empty = Transcript("/x/b.wav", "b", duration_s=1.0)
    paths = write_outputs(empty, tmp_path / "b", FORMATS)
    assert [p.name for p in paths] == ["b.txt", "b.json", "b.srt", "b.vtt", "b.tsv"]
    assert parse_vtt((tmp_path / "b.vtt").read_text()) == []
    assert parse_srt((tmp_path / "b.srt").read_text()) == []
    assert (tmp_path / "b.txt").read_text() == "\n"


def test_format_names():
    assert parse_formats("all") == FORMATS and parse_formats("srt, vtt") == ("srt", "vtt")
    with pytest.raises(ConfigError, match="choose from"):
        parse_formats("docx")
