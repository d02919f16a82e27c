"""Workspace defaults, so that bare command lines do the right thing in a working folder.

Precedence for every setting: CLI flag > environment variable > `sshr.toml` in the working
folder > built-in default. `sshr.toml` is optional and user-written, e.g.

    [paths]
    data = "data"            # prepared manifests (sshr prepare --out)
    exp = "exp"              # training runs (sshr finetune --out exp/NAME)
    commonvoice = "~/corpora/cv-corpus-17.0-2024-03-15"
    [defaults]
    model = "facebook/mms-300m"

Run bookkeeping (which run is the latest) is sshr's own and lives in `.sshr/state.json`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sshr_cli.constants import DEFAULT_DATA_DIR, DEFAULT_ENCODER, DEFAULT_EXP_DIR, WORKSPACE_FILE
from sshr_cli.errors import ConfigError, DataError
from sshr_cli.io import read_json, write_json

STATE_FILE = Path(".sshr") / "state.json"
SETTINGS = {"paths": ("data", "exp", "commonvoice"), "defaults": ("model",)}  # sshr.toml: table -> string keys
ENV = {"data": "SSHR_DATA_DIR", "exp": "SSHR_EXP_DIR", "commonvoice": "SSHR_COMMONVOICE_DIR",
       "model": "SSHR_MODEL"}
CV_RELEASE_GLOB = "cv-corpus-*"
CV_SEARCH_HOME = Path("~/data")
CV_WHERE_TO_GET = ("Common Voice is no longer on the Hugging Face Hub: download a release from "
                   "https://datacollective.mozillafoundation.org (or commonvoice.mozilla.org), extract it here, "
                   f"or point at it with --corpus PATH or {ENV['commonvoice']}=PATH")


@dataclass(frozen=True)
class Workspace:
    root: Path
    settings: dict = field(default_factory=dict)  # parsed sshr.toml

    def _setting(self, section: str, key: str, flag, env: str | None):
        if flag is not None:
            return flag, "flag"
        if env and os.environ.get(env):
            return os.environ[env], f"${env}"
        value = self.settings.get(section, {}).get(key)
        if value is not None:
            return value, WORKSPACE_FILE
        return None, "default"

    def _path(self, key: str, flag, default: str) -> Path:
        value, _ = self._setting("paths", key, flag, ENV.get(key))
        path = Path(value if value is not None else default).expanduser()
        return path if path.is_absolute() else self.root / path

    def data_dir(self, flag: str | Path | None = None) -> Path:
        return self._path("data", flag, DEFAULT_DATA_DIR)

    def exp_dir(self, flag: str | Path | None = None) -> Path:
        return self._path("exp", flag, DEFAULT_EXP_DIR)

    def model(self, flag: str | None = None) -> str:
        value, _ = self._setting("defaults", "model", flag, ENV["model"])
        return str(value) if value is not None else DEFAULT_ENCODER

    def commonvoice_dir(self, flag: str | Path | None = None) -> tuple[Path, str]:
        """The Common Voice release to prepare, and a phrase saying how it was found."""
        value, how = self._setting("paths", "commonvoice", flag, ENV["commonvoice"])
        if value is not None:
            path = Path(value).expanduser()
            if not path.is_dir():
                raise DataError(f"Common Voice folder {path} (from {how}) does not exist")
            return path, how
        for place in (self.root, CV_SEARCH_HOME.expanduser()):
            releases = find_releases(place)
            if releases:
                note = f"found in {place}" + (f" (newest of {len(releases)})" if len(releases) > 1 else "")
                return releases[-1], note
        raise DataError(f"no cv-corpus-*/ release in {self.root} or {CV_SEARCH_HOME}. {CV_WHERE_TO_GET}")

    # ---- runs
    def latest_run(self) -> Path | None:
        state = self._state()
        run = state.get("latest_run")
        return (self.root / run) if run and (self.root / run).exists() else None

    def record_run(self, run_dir: Path) -> None:
        try:
            state = self._state()
        except DataError:  # a corrupt record is sshr's own: start it again rather than fail a finished run
            state = {}
        try:
            rel = str(Path(run_dir).resolve().relative_to(self.root.resolve()))
        except ValueError:
            rel = str(Path(run_dir).resolve())
        runs = [r for r in state.get("runs", []) if r != rel] + [rel]
        write_json(self.root / STATE_FILE, {**state, "latest_run": rel, "runs": runs})

    def runs(self) -> list[Path]:
        return [self.root / r for r in self._state().get("runs", []) if (self.root / r).exists()]

    def _state(self) -> dict:
        path = self.root / STATE_FILE
        if not path.is_file():
            return {}
        state = read_json(path, DataError, hint=f"sshr rewrites it: delete {STATE_FILE} (it only records which run is the latest)")
        return state if isinstance(state, dict) else {}


def _release_key(path: Path) -> tuple:
    """cv-corpus-17.0-2024-03-15 sorts after cv-corpus-9.0-2022-04-27 (numbers, not text)."""
    return tuple(int(n) for n in re.findall(r"\d+", path.name)) or (0,)


def find_releases(place: Path) -> list[Path]:
    """Extracted Common Voice releases directly under `place`, oldest first."""
    if not place.is_dir():
        return []
    found = [p for p in place.glob(CV_RELEASE_GLOB) if p.is_dir()]
    return sorted(found, key=lambda p: (_release_key(p), p.name))


def load_workspace(root: str | Path | None = None) -> Workspace:
    root = Path(root) if root is not None else Path.cwd()
    path = root / WORKSPACE_FILE
    if not path.is_file():
        return Workspace(root)
    import tomllib

    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8") from exc
    check_settings(settings, path)
    return Workspace(root, settings)


def check_settings(settings: dict, path: Path) -> None:
    """sshr.toml's known tables and keys have the right types (SETTINGS); unknown ones are left alone."""
    for section, keys in SETTINGS.items():
        table = settings.get(section)
        if table is None:
            continue
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: `{section}` must be a table ([{section}] with {', '.join(keys)} = \"...\"), "
                              f"got {type(table).__name__} {table!r}")
        for key in keys:
            value = table.get(key)
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"{path}: [{section}] {key} must be a string (a quoted path or id), "
                                  f"got {type(value).__name__} {value!r}")
