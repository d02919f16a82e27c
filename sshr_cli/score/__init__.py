"""Scoring: WER/CER/PER per language and per utterance via jiwer, with sclite-style reports.

Library use (finetune's dev evaluation calls the same function `sshr score` does):

    from sshr_cli.score import score_pairs, write_reports
    result = score_pairs([(id, ref, hyp, lang), ...], unit="word")
    result.totals.error_rate, result.by_lang["en"].error_rate
    write_reports(result, "exp/run/score_dev")
"""

from sshr_cli.score.inputs import read_transcripts, score_files
from sshr_cli.score.metrics import Counts, ScoreResult, UttScore, score_pairs
from sshr_cli.score.reports import summary_table, write_reports

__all__ = ["Counts", "ScoreResult", "UttScore", "read_transcripts", "score_files", "score_pairs",
           "summary_table", "write_reports"]
