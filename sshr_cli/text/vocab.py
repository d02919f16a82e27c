"""The CTC target vocabulary (HF `Wav2Vec2CTCTokenizer`-compatible vocab.json).

Its one home is sshr_cli.model.vocab (the model saves and loads it with each checkpoint, and
imports nothing else from sshr_cli); prepare and the decoders import it from here.
"""

from sshr_cli.model.vocab import SPECIAL_TOKENS, Vocab  # noqa: F401  re-export
