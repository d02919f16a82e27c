"""The only module that talks to the network: Hugging Face Hub pull (and push, issue 8)."""

from __future__ import annotations

import re
from pathlib import Path

from sshr_cli.errors import HubError

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def resolve_model_dir(name_or_path: str) -> Path:
    """A local folder as is; otherwise a Hub repo id, downloaded into (or read from) the HF cache."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    if not REPO_ID.match(name_or_path):
        raise HubError(f"model '{name_or_path}' is neither a folder nor a Hub id like org/name")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id=name_or_path))
    except LocalEntryNotFoundError as exc:
        raise HubError(
            f"cannot download '{name_or_path}' (offline or no network) and it is not in the HF cache; "
            f"pass a local checkpoint with --model PATH"
        ) from exc
    except HfHubHTTPError as exc:
        raise HubError(f"the Hub refused '{name_or_path}': {str(exc).splitlines()[0]}") from exc
