"""Decode test helpers: a character vocab, hand-made CTC posteriors, tiny models, espeak audio, subtitle parsers."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

CHARS = "abcdefghijklmnopqrstuvwxyz'"
CHAR_VOCAB = {"<pad>": 0, "<unk>": 1, "|": 2, **{c: i + 3 for i, c in enumerate(CHARS)}}
FLOOR_P = 1e-4  # probability left to every token a frame does not name


def frame_log_probs(frames: list, vocab: dict[str, int] = CHAR_VOCAB) -> np.ndarray:
    """Hand-made posteriors [T, V]: a frame is a token ('_' = blank, '|' = word gap) or {token: p}."""
    out = np.full((len(frames), len(vocab)), FLOOR_P, dtype=np.float64)
    for t, frame in enumerate(frames):
        probs = {frame: 1.0} if isinstance(frame, str) else frame
        for tok, p in probs.items():
            out[t, vocab["<pad>" if tok == "_" else tok]] = p
    out /= out.sum(axis=1, keepdims=True)
    return np.log(out).astype(np.float32)


def spell(text: str, frames_per_char: int = 2) -> list[str]:
    """'hi yo' -> frames 'h h _ i i _ | _ y y ...': each char held, a blank after it, '|' between words."""
    frames: list[str] = ["_"]
    for i, word in enumerate(text.split()):
        if i:
            frames += ["|", "_"]
        for ch in word:
            frames += [ch] * frames_per_char + ["_"]
    return frames


def tiny_ctc(folder: Path, seed: int = 0) -> Path:
    from sshr_cli.model.tiny import save_tiny_ctc

    if not (folder / "config.json").is_file():
        save_tiny_ctc(folder, CHAR_VOCAB, seed=seed)
    return folder


def espeak(text: str, path: Path, voice: str = "en") -> Path:
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True, capture_output=True)
    return path


def long_wav(path: Path, seconds: float, rate: int = 16_000, distinct: int = 6) -> Path:
    """`distinct` espeak-ng sentences, repeated with short pauses to `seconds`, as 16 kHz mono wav."""
    import soundfile as sf

    from sshr_cli.audio import load_audio
    from sshr_cli.data.synthetic import load_sentences

    clip = path.with_suffix(".clip.wav")
    waves = [load_audio(espeak(s, clip), rate) for s in load_sentences("en")[:distinct]]
    clip.unlink()
    pause = np.zeros(rate // 4, np.float32)
    n = int(np.ceil(seconds * rate / np.mean([len(w) + len(pause) for w in waves])))
    sf.write(path, np.concatenate([x for i in range(n) for x in (waves[i % distinct], pause)]), rate)
    return path


SRT_TIME = r"(\d\d):(\d\d):(\d\d),(\d\d\d)"
VTT_TIME = r"(\d\d):(\d\d):(\d\d)\.(\d\d\d)"


def _seconds(h, m, s, ms) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_srt(text: str) -> list[tuple[float, float, str]]:
    """Strict SRT: numbered cues from 1, 'HH:MM:SS,mmm --> HH:MM:SS,mmm', text, blank line between."""
    cues = []
    for n, block in enumerate(filter(None, text.strip().split("\n\n")), 1):
        lines = block.split("\n")
        assert lines[0] == str(n), f"cue {n} numbered {lines[0]!r}"
        m = re.fullmatch(f"{SRT_TIME} --> {SRT_TIME}", lines[1])
        assert m, f"bad SRT timing line {lines[1]!r}"
        start, end = _seconds(*m.groups()[:4]), _seconds(*m.groups()[4:])
        assert start <= end and len(lines) >= 3
        cues.append((start, end, "\n".join(lines[2:])))
    return cues


def parse_vtt(text: str) -> list[tuple[float, float, str]]:
    """Strict WebVTT: 'WEBVTT' header, blank line, cues of a timing line and text."""
    header, _, body = text.partition("\n\n")
    assert header == "WEBVTT"
    cues = []
    for block in filter(None, body.strip().split("\n\n")):
        lines = block.split("\n")
        m = re.fullmatch(f"{VTT_TIME} --> {VTT_TIME}", lines[0])
        assert m, f"bad VTT timing line {lines[0]!r}"
        cues.append((_seconds(*m.groups()[:4]), _seconds(*m.groups()[4:]), "\n".join(lines[1:])))
    return cues


class FakeLID:
    """Wraps an HF CTC model as an sshr-kind model with an LID head that always prefers `langs[-1]`."""

    def __init__(self, hf_model, n_langs: int):
        self.hf, self.n_langs = hf_model, n_langs

    def __call__(self, input_values, attention_mask):
        from types import SimpleNamespace

        import torch

        logits = self.hf(input_values=input_values, attention_mask=attention_mask).logits  # [B, T, V]
        lengths = self.hf._get_feat_extract_output_lengths(attention_mask.sum(-1))
        lid = torch.arange(self.n_langs, dtype=torch.float32).expand(len(logits), -1)  # [B, n_langs]
        return SimpleNamespace(logits=logits, output_lengths=lengths, lid_logits=lid)


def lid_recognizer(folder: Path, langs=("de", "en")):
    from dataclasses import replace

    from sshr_cli.hub import load_recognizer

    rec = load_recognizer(folder)
    return replace(rec, model=FakeLID(rec.model, len(langs)), kind="sshr", languages=tuple(langs))
