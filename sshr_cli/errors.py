"""Typed errors. The library raises these; the CLI prints one line and exits non-zero."""


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


class MissingDependencyError(SshrError):
    """An optional package is not installed; the message names the install command."""


class NotBuiltError(SshrError):
    """A subcommand that this version does not implement yet."""

    exit_code = 3


def require(module: str, extra: str):
    """Import an optional module or raise a MissingDependencyError naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"'{module}' is not installed ({exc}); install it with: pip install 'sshr[{extra}]'"
        ) from exc
