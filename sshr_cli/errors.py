"""Typed errors. The library raises these; the CLI prints one line and exits non-zero.

The classes the model raises live in sshr_cli.model.errors (the model package imports nothing
else from sshr_cli); they are re-exported here, so `from sshr_cli.errors import ...` covers all.
"""

from sshr_cli.model.errors import CheckpointError, ConfigError, DataError, HubError, SshrError  # noqa: F401  re-export


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
