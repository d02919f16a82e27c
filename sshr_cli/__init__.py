"""sshr: multilingual CTC speech recognition on self-supervised encoders (SSHR, arXiv 2309.16937)."""

__version__ = "0.1.0.dev0"
