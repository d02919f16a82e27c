"""Text: normalisation shared by `prepare` and `score`, target units and the vocabulary."""

from sshr_cli.text.normalize import describe_rules, normalize
from sshr_cli.text.vocab import Vocab

__all__ = ["Vocab", "describe_rules", "normalize"]
