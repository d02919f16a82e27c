"""The whole analysis: select utterances, split by speaker, extract, probe, recommend, write."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from sshr_cli.analyze.config import AnalyzeConfig
from sshr_cli.analyze.data import check_both_sides, select_utterances, split_by_speaker
from sshr_cli.analyze.features import Encoder, LayerFeatures, extract, load_encoder, pick_device
from sshr_cli.analyze.labels import SILENCE
from sshr_cli.analyze.probes import ProbeScore, chance_level, probe
from sshr_cli.analyze.recommend import Recommendation, recommend_layers
from sshr_cli.analyze.report import write_outputs
from sshr_cli.errors import DataError

# progress(task description, total steps) -> advance(n); the CLI passes a rich progress bar
ProgressFactory = Callable[[str, int], Callable[[int], None]]


@dataclass
class AnalysisResult:
    report: dict  # what layers.json holds
    recommendation: Recommendation
    paths: dict[str, Path]  # json, png, yaml


def _no_progress(task: str, total: int) -> Callable[[int], None]:
    return lambda n: None


def run_analysis(config: AnalyzeConfig, encoder: Encoder | None = None,
                 progress: ProgressFactory = _no_progress) -> AnalysisResult:
    utts, notes = select_utterances(config.data_dir, config.langs, config.max_utts, config.seed)
    utts = split_by_speaker(utts, config.test_fraction, config.seed)
    device = pick_device(config.device)
    encoder = encoder or load_encoder(config.model, device)
    aligner = _aligner(config.align_model, encoder.device)
    feats = extract(encoder, utts, config.batch_s, config.max_frames, config.seed, aligner,
                    progress(f"hidden states of {encoder.n_layers + 1} layers", len(utts)))
    if aligner is not None and aligner.unknown_units:
        notes["units_not_in_align_vocab"] = aligner.unknown_units
    check_both_sides(feats.utts)
    step = progress("probes", 2 * (encoder.n_layers + 1))
    lang, lang_chance = language_curve(feats, config.seed, step)
    content, content_chance = content_curve(feats, config.seed, step)
    rec = recommend_layers([s.accuracy for s in lang], [s.true_prob for s in lang], [s.accuracy for s in content],
                    content_chance, config.cross_ctc_count)
    report = build_report(config, encoder, feats, notes, (lang, lang_chance), (content, content_chance), rec)
    return AnalysisResult(report, rec, write_outputs(config.out_dir, report, rec))


def _aligner(align_model: str | None, device: str):
    if align_model is None:
        return None
    from sshr_cli.analyze.labels import CTCAligner
    from sshr_cli.hub import load_recognizer

    return CTCAligner(load_recognizer(align_model, device=device))


def language_curve(feats: LayerFeatures, seed: int, step) -> tuple[list[ProbeScore], float]:
    """Per layer: predict the language from mean-pooled features; train and test speakers differ."""
    test = np.array([u.test for u in feats.utts])
    langs = np.array([u.lang for u in feats.utts])
    scores = []
    for layer in feats.pooled:  # [L+1, N, H] -> [N, H]
        scores.append(probe(layer[~test], langs[~test], layer[test], langs[test], seed))
        step(1)
    return scores, chance_level(langs[test])


def content_curve(feats: LayerFeatures, seed: int, step) -> tuple[list[ProbeScore], float]:
    """Per layer: predict each sampled frame's phone (or silence) label."""
    if not feats.frame_labels:
        raise DataError("no utterance could be given phone labels (see the skipped list); check the manifests' units")
    test = np.array([feats.utts[i].test for i in feats.frame_utt])
    labels = np.array(feats.frame_labels)
    if test.all() or not test.any():
        raise DataError("the phone-labelled frames all fall on one side of the speaker split; add data")
    scores = []
    for layer in feats.frames:  # [L+1, F, H] -> [F, H]
        scores.append(probe(layer[~test], labels[~test], layer[test], labels[test], seed))
        step(1)
    return scores, chance_level(labels[test])


def build_report(config, encoder, feats, notes, lang, content, rec) -> dict:
    (lang_scores, lang_chance), (content_scores, content_chance) = lang, content
    test = [u.test for u in feats.utts]
    frame_test = [feats.utts[i].test for i in feats.frame_utt]
    return {
        "model": encoder.source, "model_kind": encoder.kind, "encoder_layers": encoder.n_layers,
        "layer_numbering": "layer l = output of transformer layer l (1-based, as model.lid_layer); "
                           "0 = input of the first transformer layer",
        "layers": [{"layer": l, "language": _score(ls), "content": _score(cs)}
                   for l, (ls, cs) in enumerate(zip(lang_scores, content_scores))],
        "language": {"probe": "logistic regression on mean-pooled valid frames", "chance": lang_chance,
                     "chance_rule": "majority-class rate on the test split",
                     "classes": sorted({u.lang for u in feats.utts}),
                     "train_utts": test.count(False), "test_utts": test.count(True),
                     "train_speakers": len({u.speaker for u in feats.utts if not u.test}),
                     "test_speakers": len({u.speaker for u in feats.utts if u.test})},
        "content": {"probe": "logistic regression on single frames", "method": feats.label_method,
                    "align_model": config.align_model, "chance": content_chance,
                    "chance_rule": "majority-class rate on the test split", "silence_label": SILENCE,
                    "classes": len(set(feats.frame_labels)),
                    "train_frames": frame_test.count(False), "test_frames": frame_test.count(True)},
        "recommendation": rec.to_dict(), "set_flags": rec.set_flags(),
        "settings": config.to_dict(), "notes": notes, "skipped": feats.skipped,
    }


def _score(s: ProbeScore) -> dict:
    return {"accuracy": round(s.accuracy, 4), "true_prob": round(s.true_prob, 4), "converged": s.converged}
