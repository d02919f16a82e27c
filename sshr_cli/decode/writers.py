"""Transcript files in whisper's set of formats: txt, json, srt, vtt, tsv (all written atomically)."""

from __future__ import annotations

from pathlib import Path

from sshr_cli.decode.result import Transcript
from sshr_cli.decode.timestamps import clock, segments
from sshr_cli.errors import ConfigError
from sshr_cli.io import dumps, write_text

FORMATS = ("txt", "json", "srt", "vtt", "tsv")


def parse_formats(value: str) -> tuple[str, ...]:
    """'srt,vtt' -> ('srt', 'vtt'); 'all' -> every format."""
    names = tuple(v.strip().lower() for v in value.split(",") if v.strip())
    if names == ("all",):
        return FORMATS
    bad = [n for n in names if n not in FORMATS]
    if bad or not names:
        raise ConfigError(f"--format {value!r}: choose from {', '.join(FORMATS)} or all (comma-separated)")
    return names


def render(t: Transcript, fmt: str, meta: dict | None = None) -> str:
    return {"txt": to_txt, "json": lambda t: to_json(t, meta or {}), "srt": to_srt, "vtt": to_vtt,
            "tsv": to_tsv}[fmt](t)


def to_txt(t: Transcript) -> str:
    return t.text + "\n"


def to_json(t: Transcript, meta: dict) -> str:
    obj = {
        "text": t.text,
        "language": t.lang, "language_probability": t.lang_prob,
        **({"language_source": "predicted"} if t.lang is not None else {}),  # meta says "forced" for --lang
        "duration": t.duration_s,
        "words": [{"word": w.text, "start": w.start_s, "end": w.end_s} for w in t.words],
        "segments": [{"start": s.start_s, "end": s.end_s, "text": s.text} for s in segments(t.words)],
        **({"units": " ".join(t.units)} if t.units else {}),
        **({"nbest": t.nbest} if t.nbest else {}),
        **meta,  # model and decoder settings
    }
    return dumps(obj, indent=2) + "\n"


def to_srt(t: Transcript) -> str:
    cues = [f"{i}\n{clock(s.start_s)} --> {clock(s.end_s)}\n{s.text}\n"
            for i, s in enumerate(segments(t.words), 1)]
    return "\n".join(cues)


def to_vtt(t: Transcript) -> str:
    cues = [f"{clock(s.start_s, '.')} --> {clock(s.end_s, '.')}\n{s.text}\n" for s in segments(t.words)]
    return "WEBVTT\n\n" + "\n".join(cues)


def to_tsv(t: Transcript) -> str:
    """whisper's tsv: start and end in integer milliseconds."""
    rows = [f"{round(s.start_s * 1000)}\t{round(s.end_s * 1000)}\t{s.text}" for s in segments(t.words)]
    return "start\tend\ttext\n" + "".join(r + "\n" for r in rows)


def write_outputs(t: Transcript, out_stem: Path, formats: tuple[str, ...], meta: dict | None = None) -> list[Path]:
    """<out_stem>.<fmt> for each format; returns the paths written."""
    paths = []
    for fmt in formats:
        path = out_stem.with_name(f"{out_stem.name}.{fmt}")
        write_text(path, render(t, fmt, meta))
        paths.append(path)
    return paths
