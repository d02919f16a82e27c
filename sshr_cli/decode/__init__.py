"""Decoding: greedy and KenLM beam search (backends/), long-audio chunking, timestamps, transcript writers."""

from sshr_cli.decode.backends import BeamOptions
from sshr_cli.decode.result import Hypothesis, Transcript, Word
from sshr_cli.decode.transcribe import DecodeOptions, iter_transcripts, transcribe

__all__ = ["BeamOptions", "DecodeOptions", "Hypothesis", "Transcript", "Word", "iter_transcripts", "transcribe"]
