"""sshr: multilingual CTC speech recognition on self-supervised encoders (SSHR, arXiv 2309.16937)."""

# The version's one home is sshr_cli.model.constants (every checkpoint's config.json records it,
# and the model package imports nothing else from sshr_cli); pyproject.toml reads it from here.
from sshr_cli.model.constants import VERSION as __version__  # noqa: F401


def __getattr__(name: str):
    """`sshr_cli.load_model` without importing torch until it is used."""
    if name in ("load_model", "Model", "Result"):
        import importlib

        # imported by name: sshr_cli.api sits above decode/hub, and the package itself must not
        # depend on it statically (lower layers import `sshr_cli` for __version__)
        return getattr(importlib.import_module("sshr_cli.api"), name)
    raise AttributeError(f"module 'sshr_cli' has no attribute {name!r}")
