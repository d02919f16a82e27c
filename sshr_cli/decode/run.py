"""What `sshr decode` does, as library calls: files/folders -> transcript files, manifest -> manifest.

    decode_paths(model, ["talk.mp3", "clips/"], out_dir="transcripts", formats=("txt", "srt"))
    decode_manifest(model, "data/en/test.jsonl", "exp/run/hyps_en_test.jsonl")
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sshr_cli.audio import AUDIO_SUFFIXES
from sshr_cli.data.manifest import load_manifest
from sshr_cli.decode.result import Transcript
from sshr_cli.decode.transcribe import DecodeOptions, iter_transcripts, logger
from sshr_cli.decode.writers import write_outputs
from sshr_cli.errors import DataError
from sshr_cli.io import write_jsonl

IPA_RANGES = ((0x0250, 0x02FF), (0x1D00, 0x1DBF))  # IPA extensions, spacing modifiers, phonetic extensions


@dataclass
class DecodeReport:
    done: int = 0
    skipped: list[str] = field(default_factory=list)  # one line per skipped input
    written: list[Path] = field(default_factory=list)


def find_audio(inputs: Sequence[str | Path]) -> tuple[list[tuple[Path, Path]], list[str]]:
    """Files and folders -> (audio file, output name relative to --out-dir) pairs, plus skip notes.

    Folders are searched recursively and keep their layout under --out-dir; a path that does
    not exist stays in the list, so that decoding reports it like any unreadable file.
    """
    found, notes, taken = [], [], set()
    for item in map(Path, inputs):
        if item.is_dir():
            files = sorted(p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
            if not files:
                notes.append(f"{item}: no audio files in this folder (looked for {' '.join(AUDIO_SUFFIXES)})")
            pairs = [(p, Path(item.resolve().name) / p.relative_to(item).with_suffix("")) for p in files]
        else:
            pairs = [(item, Path(item.stem))]
        for path, rel in pairs:
            stem, n = rel, 2
            while stem in taken:  # two inputs with one name: a.wav and other/a.wav
                stem, n = rel.with_name(f"{rel.name}-{n}"), n + 1
            taken.add(stem)
            found.append((path, stem))
    return found, notes


def units_are_phonemes(rec) -> bool:
    """From the checkpoint's own record when it has one, else from the vocabulary's symbols."""
    recorded = rec.meta.get("units") or rec.meta.get("sshr", {}).get("units")
    if recorded:
        return recorded == "phonemes"
    units = [t for t in rec.vocab.tokens if not (t.startswith("<") and t.endswith(">")) and t not in "|[]"]
    return any(len(t) > 1 or any(lo <= ord(ch) <= hi for ch in t for lo, hi in IPA_RANGES) for t in units)


def decoder_meta(rec, options: DecodeOptions, lang: str | None = None) -> dict:
    beam = options.beam
    decoder = {"type": "greedy"} if beam is None else {"type": "beam", **{
        k: v for k, v in asdict(beam).items() if k not in ("workers", "start_method")}}
    decoder.update(chunk_seconds=options.chunk_s, stride_seconds=options.stride_s)
    decoder["precision"] = rec.precision_used(options.precision)
    meta = {"model": rec.source, "decoder": decoder}
    if getattr(rec, "forced_language", None):  # overrides the LID head's language in json output
        meta.update(language=rec.forced_language, language_probability=None, language_source="forced")
    elif lang:
        meta["expected_language"] = lang
    return meta


def recognizer_for(model, device: str, lang: str | None = None):
    """A loaded Recognizer as is; a path or Hub id is loaded. `lang` picks an MMS model's adapter and
    vocabulary; a checkpoint with a language frame decodes as that language (Recognizer.force_language);
    other checkpoints only record it."""
    from sshr_cli.hub import load_recognizer
    from sshr_cli.model.inference import Recognizer

    rec = model if isinstance(model, Recognizer) else load_recognizer(model, device=device, lang=lang)
    if lang and rec.has_language_frame:
        rec.force_language(lang)
    return rec


def decode_paths(model, inputs: Sequence[str | Path], out_dir: str | Path, formats: tuple[str, ...],
                 options: DecodeOptions = DecodeOptions(), lang: str | None = None,
                 progress: Callable[[float], None] | None = None,
                 warn: Callable[[str], None] = logger.warning,
                 on_skip: Callable[[str], None] | None = None, device: str = "cpu") -> DecodeReport:
    """Decode files and folders; write <out_dir>/<name>.<fmt> per file and format."""
    found, notes = find_audio(inputs)
    rec = recognizer_for(model, device, lang)
    report = DecodeReport(skipped=list(notes))
    for note in notes:
        on_skip and on_skip(note)
    meta = decoder_meta(rec, options, lang)
    for i, t in iter_transcripts(rec, [p for p, _ in found], options, progress, warn):
        if t.error:
            report.skipped.append(t.error)
            on_skip and on_skip(t.error)
            continue
        report.written += write_outputs(t, Path(out_dir) / found[i][1], formats, meta)
        report.done += 1
    return report


def decode_manifest(model, manifest: str | Path, out: str | Path, options: DecodeOptions = DecodeOptions(),
                    progress: Callable[[float], None] | None = None,
                    warn: Callable[[str], None] = logger.warning,
                    on_skip: Callable[[str], None] | None = None, device: str = "cpu",
                    lang: str | None = None) -> DecodeReport:
    """Manifest in, manifest out: each decodable row plus pred_text (pred_units, pred_lang, pred_lang_prob,
    language_source: "predicted" by the LID head or "forced" by `lang`)."""
    bad: list[str] = []
    rows = load_manifest(manifest, skipped=bad)
    if not rows:
        raise DataError(f"{manifest}: the manifest has no usable rows{f' ({bad[0]})' if bad else ''}")
    rec = recognizer_for(model, device, lang)
    phonemes = units_are_phonemes(rec)
    preds: dict[int, Transcript] = {}
    report = DecodeReport()
    for where in bad:  # malformed rows: reported skips (manifest.check_row says what is wrong)
        report.skipped.append(where)
        on_skip and on_skip(where)
    for i, t in iter_transcripts(rec, [r["audio_filepath"] for r in rows], options, progress, warn):
        if t.error:
            report.skipped.append(f"{rows[i]['id']}: {t.error}")
            on_skip and on_skip(report.skipped[-1])
        else:
            preds[i] = t
    write_jsonl(out, [_prediction_row(rows[i], preds[i], phonemes, rec.forced_language) for i in sorted(preds)])
    report.done, report.written = len(preds), [Path(out)]
    return report


def _prediction_row(row: dict, t: Transcript, phonemes: bool, forced: str | None = None) -> dict:
    out = {**row, "pred_text": t.text}
    if phonemes:
        out["pred_units"] = " ".join(t.units)
    if forced:
        out.update(pred_lang=forced, pred_lang_prob=None, language_source="forced")
    elif t.lang is not None:
        out.update(pred_lang=t.lang, pred_lang_prob=t.lang_prob, language_source="predicted")
    return out
