"""The only module that talks to the network: Hugging Face Hub pull and push.

Pull: `resolve_model_dir("org/name")` downloads into (or reads from) the HF cache, honouring
HF_ENDPOINT and HF_HUB_OFFLINE; `resolve_checkpoint` and `load_recognizer` take a run folder,
a checkpoint folder or a Hub id (the one place all three are resolved). Push: `push(run)`
uploads a run's best checkpoint and a model card (sshr_cli.modelcard) with `create_repo` +
`create_commit` (what `upload_folder` calls).

The token comes from HF_TOKEN or the huggingface_hub login (`hf auth login`). It is handed to
huggingface_hub and nowhere else: never printed, logged, or written by sshr; error messages
are scrubbed of it.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sshr_cli.errors import CheckpointError, ConfigError, HubError
from sshr_cli.runs import (CONFIG_FILE, PREPROCESSOR_FILE, PROCESSOR_FILE, UNIGRAMS_FILE, VOCAB_FILE, WEIGHTS_FILE,
                           checkpoint_folder, is_hub_id, locate_run, recorded_units)

DEFAULT_REVISION = "main"
CARD_FILE = "README.md"
# What a pushed checkpoint holds: the files inference needs, never last/ or optimizer state.
REQUIRED_FILES = (CONFIG_FILE, WEIGHTS_FILE, VOCAB_FILE)
OPTIONAL_FILES = (PREPROCESSOR_FILE, UNIGRAMS_FILE, PROCESSOR_FILE, "tokenizer_config.json",
                  "tokenizer.json", "special_tokens_map.json", "added_tokens.json")
USER_PLACEHOLDER = "<hf-username>"  # the repo owner in a dry run, before whoami
LOGIN_HINT = "run `hf auth login` or set HF_TOKEN to a write token from https://huggingface.co/settings/tokens"
MAX_REPO_NAME = 96  # characters, the Hub's limit
RETRY = "nothing local was changed; re-run `sshr push` to retry (uploaded files are reused)"


# ---------------------------------------------------------------- pull
def resolve_model_dir(name_or_path: str, revision: str | None = None) -> Path:
    """A local folder as is; otherwise a Hub repo id, downloaded into (or read from) the HF cache."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    if not is_hub_id(name_or_path):
        raise HubError(f"model '{name_or_path}' is neither a folder nor a Hub id like org/name")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError,
                                        RevisionNotFoundError)

    try:
        return Path(snapshot_download(repo_id=name_or_path, revision=revision))
    except LocalEntryNotFoundError as exc:
        raise HubError(
            f"cannot download '{name_or_path}' (offline or no network) and it is not in the HF cache; "
            f"pass a local checkpoint with --model PATH"
        ) from exc
    except RevisionNotFoundError as exc:
        raise HubError(f"'{name_or_path}' has no revision '{revision or DEFAULT_REVISION}'") from exc
    except RepositoryNotFoundError as exc:
        raise HubError(f"no Hub repo '{name_or_path}' (or it is private: {LOGIN_HINT})") from exc
    except HfHubHTTPError as exc:
        raise HubError(f"the Hub refused '{name_or_path}': {str(exc).splitlines()[0]}") from exc


def resolve_checkpoint(name_or_path: str | Path, revision: str | None = None) -> Path:
    """The checkpoint folder for a run folder (its best/, else last/), a checkpoint folder or a Hub id."""
    return checkpoint_folder(resolve_model_dir(str(name_or_path), revision))


def load_recognizer(name_or_path: str | Path, device: str = "cpu", lang: str | None = None):
    """A sshr_cli.model.inference.Recognizer for a run folder, checkpoint folder, ONNX export or Hub id;
    an sshr checkpoint's recorded units (train_summary.json) go into its meta. `lang` picks the
    adapter and vocabulary of an MMS multi-language model (other models ignore it)."""
    from sshr_cli.model.inference import load_checkpoint
    from sshr_cli.onnx_model import is_onnx_folder, load_onnx

    folder = resolve_checkpoint(name_or_path)
    if is_onnx_folder(folder):  # an `sshr export onnx` folder: onnxruntime on the CPU
        rec = load_onnx(folder, source=str(name_or_path))
    else:
        rec = load_checkpoint(folder, device, source=str(name_or_path), lang=lang)
    units = recorded_units(folder) if rec.kind == "sshr" else None
    if units:
        rec.meta["units"] = units
    return rec


# ---------------------------------------------------------------- push: plan (no network)
@dataclass(frozen=True)
class PushPlan:
    run_dir: Path  # where summary.json files are searched
    checkpoint_dir: Path  # the folder whose files are uploaded (a run's best/)
    repo_id: str
    files: tuple[Path, ...]
    card: str  # README.md text


def checkpoint_files(checkpoint_dir: Path) -> tuple[Path, ...]:
    missing = [n for n in REQUIRED_FILES if not (checkpoint_dir / n).is_file()]
    if missing:
        raise CheckpointError(f"{checkpoint_dir} lacks {', '.join(missing)}; push needs a complete checkpoint")
    names = REQUIRED_FILES + tuple(n for n in OPTIONAL_FILES if (checkpoint_dir / n).is_file())
    names += tuple(sorted(p.name for p in checkpoint_dir.glob("*.py")))  # an SSHR model's own code (auto_map)
    return tuple(checkpoint_dir / n for n in names)


def default_repo_name(run_dir: Path) -> str:
    """exp/cv sshr+LM 2026-11-27 -> 'cv-sshr-LM-2026-11-27' (the Hub's allowed characters)."""
    name = re.sub(r"[^\w.-]+", "-", Path(run_dir).resolve().name).strip("-.")
    name = re.sub(r"-{2,}", "-", re.sub(r"\.{2,}", ".", name))[:MAX_REPO_NAME]
    if not name:
        raise ConfigError(f"cannot derive a repo name from {run_dir}; pass --repo ORG/NAME")
    return name


def check_repo_id(repo_id: str) -> str:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        raise ConfigError(f"bad repo id '{repo_id}': {str(exc).splitlines()[0]}") from exc
    if "/" not in repo_id:
        raise ConfigError(f"bad repo id '{repo_id}': expected ORG/NAME (or USER/NAME)")
    return repo_id


def plan_push(path: str | Path, repo_id: str | None = None, username: str | None = None,
              license: str | None = None, datasets: tuple[str, ...] = ()) -> PushPlan:
    """Files and model card for a push; no network. Without repo_id: <username>/<run-name>."""
    from sshr_cli.modelcard import build_card

    run_dir, checkpoint_dir = locate_run(path)
    if repo_id is None:
        repo_id = f"{username or USER_PLACEHOLDER}/{default_repo_name(run_dir)}"
    if not repo_id.startswith(f"{USER_PLACEHOLDER}/"):
        check_repo_id(repo_id)
    files = checkpoint_files(checkpoint_dir)
    card = build_card(checkpoint_dir, run_dir, repo_id, license=license, datasets=datasets)
    return PushPlan(run_dir, checkpoint_dir, repo_id, files, str(card))


# ---------------------------------------------------------------- push: network
@dataclass(frozen=True)
class PushResult:
    repo_id: str
    commit_url: str
    files: tuple[str, ...]  # paths in the repo


def hub_token() -> str:
    """HF_TOKEN, else the huggingface_hub login; a one-line HubError when neither exists."""
    from huggingface_hub import get_token

    token = get_token()
    if not token:
        raise HubError(f"no Hugging Face token found: {LOGIN_HINT}")
    return token


def whoami(token: str) -> str:
    from huggingface_hub import HfApi

    with hub_errors("<whoami>", token):
        name = HfApi(token=token).whoami().get("name")
    if not name:
        raise HubError("the Hub did not say which user this token belongs to; pass --repo ORG/NAME")
    return name


def push(path: str | Path, repo_id: str | None = None, *, private: bool = False,
         revision: str = DEFAULT_REVISION, commit_message: str | None = None,
         license: str | None = None, datasets: tuple[str, ...] = ()) -> PushResult:
    """Upload a run's best checkpoint and its model card; re-running after a failure resumes."""
    plan_push(path, repo_id, license=license, datasets=datasets)  # every local mistake first, before any network
    token = hub_token()
    username = whoami(token) if repo_id is None else None
    plan = plan_push(path, repo_id, username, license=license, datasets=datasets)
    return upload(plan, token, private=private, revision=revision,
                  commit_message=commit_message or f"Upload {plan.repo_id.split('/')[-1]} with sshr")


def upload(plan: PushPlan, token: str, *, private: bool, revision: str, commit_message: str) -> PushResult:
    from huggingface_hub import CommitOperationAdd, HfApi

    api = HfApi(token=token)
    ops = [CommitOperationAdd(path_in_repo=f.name, path_or_fileobj=str(f)) for f in plan.files]
    ops.append(CommitOperationAdd(path_in_repo=CARD_FILE, path_or_fileobj=plan.card.encode("utf-8")))
    with hub_errors(plan.repo_id, token):
        api.create_repo(plan.repo_id, private=True if private else None, exist_ok=True)
        if revision != DEFAULT_REVISION:
            api.create_branch(plan.repo_id, branch=revision, exist_ok=True)
        info = api.create_commit(plan.repo_id, ops, commit_message=commit_message, revision=revision)
    return PushResult(plan.repo_id, info.commit_url, tuple(op.path_in_repo for op in ops))


@contextmanager
def hub_errors(repo_id: str, token: str | None):
    """huggingface_hub/HTTP failures -> one-line HubError, with the token scrubbed out."""
    try:
        yield
    except Exception as exc:
        # a failed LFS upload arrives as RuntimeError("Error while uploading ...") from the real error
        cause = exc.__cause__ if isinstance(exc, RuntimeError) and exc.__cause__ is not None else exc
        message = _describe(cause, repo_id)
        if message is None:
            raise
        raise HubError(_scrub(message, token)) from exc


def _describe(exc: BaseException, repo_id: str) -> str | None:
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    if isinstance(exc, OfflineModeIsEnabled):
        return "HF_HUB_OFFLINE=1 is set; unset it to push"
    if isinstance(exc, HfHubHTTPError):
        return _http_message(exc, repo_id)
    if _is_transport_error(exc):
        return (f"the connection to the Hub broke while pushing {repo_id} "
                f"({type(exc).__name__}: {_first_line(exc)}); {RETRY}")
    if isinstance(exc, ValueError):  # e.g. "Invalid metadata in README.md" from the Hub's validator
        return f"push to {repo_id} failed: {_first_line(exc)}"
    return None


def _http_message(exc, repo_id: str) -> str:
    status = exc.response.status_code if getattr(exc, "response", None) is not None else None
    server = getattr(exc, "server_message", None) or _first_line(exc)
    server = _first_line(server)
    if status == 401:
        return f"the Hub rejected the token (401: {server}); {LOGIN_HINT}"
    if status == 403:
        return (f"the Hub refused to write to {repo_id} (403: {server}); check that the token has write access "
                f"to '{repo_id.split('/')[0]}'")
    if status == 404:
        return f"the Hub has no repo {repo_id} for this token (404: {server})"
    return f"the Hub answered {status} while pushing {repo_id} ({server}); {RETRY}"


def _is_transport_error(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    return any(cls.__name__ in ("TransportError", "RequestError") for cls in type(exc).__mro__)


def _first_line(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _scrub(message: str, token: str | None) -> str:
    return message.replace(token, "***") if token else message
