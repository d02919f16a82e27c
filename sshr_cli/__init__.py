"""sshr: multilingual CTC speech recognition on self-supervised encoders (SSHR, arXiv 2309.16937)."""

# The version's one home is sshr_cli.model.constants (every checkpoint's config.json records it,
# and the model package imports nothing else from sshr_cli); pyproject.toml reads it from here.
from sshr_cli.model.constants import VERSION as __version__  # noqa: F401
