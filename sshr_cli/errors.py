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


# ---------------------------------------------------------------- one line for every expected failure
DEBUG_ENV = "SSHR_DEBUG"  # set to 1: the CLI re-raises unexpected errors with their traceback
DEBUG_HINT = f"run with {DEBUG_ENV}=1 for the traceback"
_WORKER_PREFIX = "Caught "  # torch's DataLoader: "Caught DataError in DataLoader worker process 0.\nOriginal Traceback ..."
_ERRNO_FIX = {  # errno name -> what it means and how to fix it
    "EROFS": "read-only file system; write somewhere writable (another --out)",
    "ENOSPC": "no space left on the device; free some space or write to another disk",
    "EFBIG": "file too large for this disk or its quota (no space); free some space or write to another disk",
    "EDQUOT": "disk quota exceeded; free some space or write to another disk",
    "EACCES": "permission denied; choose a folder you can write to (or fix its permissions)",
    "EPERM": "operation not permitted; choose a folder you can write to",
    "ENOENT": "not found; check the path",
    "ENOTDIR": "a part of this path is a file, not a folder; choose another path",
    "EISDIR": "is a folder, but a file was expected; pass a file path",
    "EEXIST": "already exists (as a file where a folder is needed, or the reverse); remove it or choose another path",
    "ENAMETOOLONG": "file name too long; choose a shorter path",
    "EMFILE": "too many open files; raise `ulimit -n` or use fewer workers",
    "ENOMEM": "out of memory; use a smaller batch or fewer workers",
}


def one_line(text: str) -> str:
    """A message on one line: worker tracebacks cut to their last line, line breaks joined with '; '."""
    text = str(text)
    if text.startswith(_WORKER_PREFIX) and "Original Traceback" in text:
        last = [x for x in text.splitlines() if x.strip()][-1]  # "pkg.mod.DataError: the original message"
        head, sep, msg = last.partition(": ")
        text = msg if sep and " " not in head else last
    return "; ".join(x.strip() for x in text.splitlines() if x.strip())


def os_error_line(exc: OSError) -> str:
    """'PATH: what happened; how to fix it' for an OSError, by its errno."""
    import errno as errno_mod

    name = errno_mod.errorcode.get(exc.errno or 0, "")
    what = _ERRNO_FIX.get(name) or (exc.strerror or one_line(str(exc)) or type(exc).__name__)
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{' -> '.join(paths)}: {what}" if paths else what


def as_os_error(exc: BaseException, path=None) -> OSError | None:
    """An OSError for an exception that wraps one only in its text (safetensors: "I/O error: File too
    large (os error 27)"), naming `path`; None when it wraps none."""
    import os
    import re

    if isinstance(exc, OSError):
        return exc
    found = re.search(r"\(os error (\d+)\)", str(exc))
    if found is None:
        return None
    code = int(found.group(1))
    return OSError(code, os.strerror(code), None if path is None else str(path))


def explain(exc: BaseException) -> str | None:
    """One line for an expected failure (typed errors, OSError, JSON/YAML/text decoding), None otherwise."""
    import json

    if isinstance(exc, SshrError):
        return one_line(str(exc))
    if isinstance(exc, OSError) or as_os_error(exc) is not None:
        return os_error_line(as_os_error(exc))
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); fix or re-create the file"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text ({exc.reason} at byte {exc.start}); convert it, e.g. iconv -f latin1 -t utf-8"
    return _yaml_line(exc)


def _yaml_line(exc: BaseException) -> str | None:
    yaml = __import__("sys").modules.get("yaml")  # only if YAML was read at all
    if yaml is None or not isinstance(exc, yaml.YAMLError):
        return None
    mark = getattr(exc, "problem_mark", None)
    where = f"{mark.name}:{mark.line + 1}: " if mark is not None else ""
    return f"{where}not valid YAML ({getattr(exc, 'problem', None) or one_line(str(exc))})"
