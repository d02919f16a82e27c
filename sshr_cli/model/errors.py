"""The typed errors the model raises; sshr_cli.errors re-exports them with the CLI-level ones.

The library raises these; the CLI prints one line and exits non-zero.
"""


class SshrError(Exception):
    """Base class: the message is one line that says what was expected and how to fix it."""

    exit_code = 1


class DataError(SshrError):
    """A corpus, manifest or audio file is missing or malformed."""


class ConfigError(SshrError):
    """A recipe, override or flag has a bad value."""

    exit_code = 2


class CheckpointError(SshrError):
    """A checkpoint folder is incomplete or inconsistent (vocab vs head size, ...)."""


class HubError(SshrError):
    """The Hugging Face Hub (or a mirror) refused, or cannot be reached."""
