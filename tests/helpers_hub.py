"""Local Hub servers for the hub tests, on 127.0.0.1 only, started and stopped by the tests.

- `olah_mirror(...)`: olah (a self-hosted Hub mirror, PyPI) in offline mode serving local git
  repos, for downloads (`snapshot_download`, `from_pretrained`) through HF_ENDPOINT.
- `HubStandIn`: olah cannot accept uploads and no uploadable Hub server runs here, so this is
  a protocol-level stand-in for the Hub's write API: exactly the endpoints huggingface_hub 2.4's
  `whoami`, `create_repo`, `create_branch` and `create_commit` (what `upload_folder` calls) use
  with HF_HUB_DISABLE_XET=1: whoami-v2, repos/create, validate-yaml, preupload, the LFS batch
  API + a basic PUT transfer, and the NDJSON commit. It keeps what was committed in memory so
  tests can compare bytes, checks the bearer token, and can be told to fail (status or a dropped
  connection) on any route.
- `make_run(...)`: a training run folder laid out as finetune writes it (exp/NAME/best, last/,
  score_*/summary.json), until real run folders exist.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOST = "127.0.0.1"
TINY_VOCAB = {"<pad>": 0, "<unk>": 1, "|": 2, "a": 3, "b": 4, "e": 5, "n": 6, "d": 7}
LFS_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt")  # the Hub's default .gitattributes (part)
LFS_MIN_SIZE = 10 * 1024 * 1024  # bytes: larger files go to LFS whatever their name
SERVER_START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def hub_env(endpoint: str, hf_home: Path, token: str | None = None, **extra) -> dict:
    """A subprocess environment pointing huggingface_hub at a local server, with no login of the user's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE_"))}
    env.update(HF_ENDPOINT=endpoint, HF_HOME=str(hf_home), HF_HUB_DISABLE_XET="1",
               HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_DISABLE_PROGRESS_BARS="1",
               PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    if token is not None:
        env["HF_TOKEN"] = token
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_sshr(args: list[str], env: dict, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sshr_cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


# ---------------------------------------------------------------- fixtures on disk
def save_ctc_checkpoint(folder: Path) -> Path:
    """A tiny HF Wav2Vec2ForCTC folder, as the HF example script writes it (no sshr section)."""
    from sshr_cli.model.tiny import save_tiny_ctc

    save_tiny_ctc(folder, TINY_VOCAB)
    (folder / "unigrams.txt").write_text("and\nbad\nde\n", encoding="utf-8")
    return folder


def save_sshr_checkpoint(folder: Path, languages: tuple[str, ...] = ("en", "de"), arch: str = "sshr",
                         encoder_id: str = "facebook/mms-300m") -> Path:
    """A tiny SSHRForCTC checkpoint written by finetune's own writers (sshr_cli.train.checkpoint):
    last/ with trainer_state.pt, promoted to `folder` (a best/) without it. Its recipe's
    model.encoder names `encoder_id`; the weights really come from a tiny random encoder."""
    from sshr_cli.config import RunConfig, dump_yaml
    from sshr_cli.model.config import SSHRConfig
    from sshr_cli.model.sshr import SSHRForCTC
    from sshr_cli.model.tiny import save_tiny_encoder
    from sshr_cli.text.vocab import Vocab
    from sshr_cli.train.checkpoint import promote_to_best, save_checkpoint

    encoder = save_tiny_encoder(folder.parent / f".{folder.name}_encoder")
    small = dict(lid_layer=1, num_layers=3, cross_ctc_layers=(2, 3)) if arch == "sshr" else {}
    model = SSHRForCTC.from_encoder(encoder, SSHRConfig(arch=arch, languages=tuple(languages), **small),
                                    Vocab.from_mapping(TINY_VOCAB))
    recipe = RunConfig().replace("model", encoder=encoder_id, arch=arch, **small).replace("train", max_steps=20)
    summary = {"step": 20, "units": "phonemes", "languages": list(languages), "dev": None}
    last = save_checkpoint(folder.parent / f".{folder.name}_last", model, dump_yaml(recipe), ["and", "bad", "de"],
                           trainer_state={"step": 20}, summary=summary)
    return promote_to_best(last, folder)


def summary(by_lang: dict[str, float], split: str = "test", metric: str = "per", dataset: str | None = None) -> dict:
    """A summary.json in `sshr score`'s schema; by_lang maps language -> error rate (fraction)."""
    rows = {}
    for lang, rate in by_lang.items():
        n = 200
        err = round(rate * n)
        rows[lang] = {"n": n, "corr": n - err, "sub": err, "del": 0, "ins": 0, "err": err, "error_rate": rate}
    total_err = sum(r["err"] for r in rows.values())
    total_n = sum(r["n"] for r in rows.values())
    totals = {"n": total_n, "corr": total_n - total_err, "sub": total_err, "del": 0, "ins": 0,
              "err": total_err, "error_rate": total_err / total_n if total_n else 0.0}
    return {"metric": metric, "unit": {"wer": "word", "cer": "char", "per": "phone"}[metric], "split": split,
            "dataset": dataset, "normalization": "sshr.text.normalize", "totals": totals, "by_lang": rows,
            "missing_ids": 0, "extra_ids": 0}


def make_run(exp: Path, checkpoint: Path, name: str = "cv_tiny", summaries: dict[str, dict] | None = None) -> Path:
    """exp/NAME/{best,last,config.yaml,metrics.jsonl,score_*/summary.json} around a saved checkpoint."""
    run = exp / name
    shutil.copytree(checkpoint, run / "best")
    shutil.copytree(checkpoint, run / "last")
    (run / "last" / "trainer_state.pt").write_bytes(b"optimizer state: must never be pushed")
    (run / "metrics.jsonl").write_text('{"step": 1, "loss": 3.2}\n', encoding="utf-8")
    if (checkpoint / "train_config.yaml").is_file():  # finetune writes the same recipe beside the run
        shutil.copy(checkpoint / "train_config.yaml", run / "config.yaml")
    for folder, data in (summaries or {}).items():
        (run / folder).mkdir(parents=True, exist_ok=True)
        (run / folder / "summary.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    return run


def commit_git_repo(folder: Path) -> None:
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                ["git", "-c", "user.name=sshr-tests", "-c", "user.email=tests@sshr.invalid",
                 "commit", "-q", "-m", "tiny checkpoint"]):
        subprocess.run(cmd, cwd=folder, check=True, capture_output=True)


# ---------------------------------------------------------------- olah (downloads)
@contextmanager
def olah_mirror(mirrors: Path, workdir: Path):
    """olah in offline mode serving git repos under mirrors/models/ORG/NAME; yields its endpoint."""
    cli = Path(sys.executable).parent / "olah-cli"
    if not cli.exists():
        raise RuntimeError("olah-cli is missing: pip install 'sshr[dev]' (olah>=0.5)")
    port = free_port()
    config = workdir / "olah.toml"
    config.write_text(
        f'[basic]\nhost = "{HOST}"\nport = {port}\nrepos-path = "{workdir / "olah-cache"}"\n'
        f'mirrors-path = ["{mirrors}"]\n[accessibility]\noffline = true\n', encoding="utf-8")
    log = open(workdir / "olah.log", "wb")
    proc = subprocess.Popen([str(cli), "-c", str(config), "--log-path", str(workdir / "olah-logs")],
                            cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, proc, workdir / "olah.log")
        yield f"http://{HOST}:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"olah exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"olah did not listen on {HOST}:{port} within {SERVER_START_TIMEOUT_S} s")


# ---------------------------------------------------------------- the write API stand-in
ROUTES = [
    ("GET", "whoami", re.compile(r"^/api/whoami-v2$")),
    ("POST", "create", re.compile(r"^/api/repos/create$")),
    ("POST", "validate-yaml", re.compile(r"^/api/validate-yaml$")),
    ("POST", "preupload", re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/preupload/(?P<rev>[^/]+)$")),
    ("POST", "lfs-batch", re.compile(r"^/(?P<repo>[^/]+/[^/]+)\.git/info/lfs/objects/batch$")),
    ("PUT", "lfs-upload", re.compile(r"^/lfs-storage/(?P<oid>[0-9a-f]{64})$")),
    ("POST", "commit", re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/commit/(?P<rev>[^/]+)$")),
    ("POST", "branch", re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/branch/(?P<rev>[^/]+)$")),
    ("GET", "repo-info", re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)(/revision/(?P<rev>[^/]+))?$")),
]
NO_AUTH_ROUTES = ("lfs-upload",)  # the real Hub hands out pre-signed storage URLs


class HubStandIn:
    """See the module docstring. Use as a context manager: `with HubStandIn(token) as hub: hub.endpoint`."""

    def __init__(self, token: str, user: str = "alice", orgs: tuple[str, ...] = ()):
        self.token, self.user, self.orgs = token, user, set(orgs)
        self.repos: dict[str, dict] = {}  # repo_id -> {"private": bool, "branches": {rev: {path: bytes}}}
        self.lfs: dict[str, bytes] = {}  # sha256 -> content
        self.commits: list[dict] = []  # {"repo", "rev", "summary", "paths"}
        self.calls: list[str] = []  # route names in order
        self.seen_auth: set[str] = set()  # Authorization headers received (kept in memory only)
        self._failures: dict[str, list] = {}
        self._lock = threading.Lock()

    # -- control
    def fail(self, route: str, *actions) -> None:
        """Answer the next calls of `route` with these actions: an HTTP status, or "drop"
        (read the request, then close the connection without answering)."""
        self._failures.setdefault(route, []).extend(actions)

    def files(self, repo_id: str, rev: str = "main") -> dict[str, bytes]:
        return dict(self.repos[repo_id]["branches"][rev])

    def __enter__(self) -> "HubStandIn":
        handler = type("Handler", (_Handler,), {"hub": self})
        self._server = ThreadingHTTPServer((HOST, 0), handler)
        self.endpoint = f"http://{HOST}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    # -- routes: (status, json body)
    def whoami(self, body, m):
        return 200, {"type": "user", "name": self.user, "orgs": [{"name": o} for o in sorted(self.orgs)],
                     "auth": {"type": "access_token", "accessToken": {"displayName": "tests", "role": "write"}}}

    def create(self, body, m):
        repo_id = f"{body.get('organization') or self.user}/{body['name']}"
        if repo_id.split("/")[0] not in self.orgs | {self.user}:
            return 403, {"error": f"You don't have the rights to create a model under the namespace "
                                  f"\"{repo_id.split('/')[0]}\""}
        if repo_id in self.repos:
            return 409, {"error": "You already created this model repo", "url": f"{self.endpoint}/{repo_id}"}
        self.repos[repo_id] = {"private": body.get("visibility") == "private", "branches": {"main": {}}}
        return 200, {"url": f"{self.endpoint}/{repo_id}", "name": repo_id}

    def validate_yaml(self, body, m):
        from huggingface_hub import ModelCard

        try:
            ModelCard(body["content"], ignore_metadata_errors=False)
        except ValueError as exc:
            return 400, {"errors": [{"message": str(exc)}], "warnings": []}
        return 200, {"errors": [], "warnings": []}

    def preupload(self, body, m):
        if m["repo"] not in self.repos:
            return 404, {"error": "Repository not found"}
        files = [{"path": f["path"], "shouldIgnore": False,
                  "uploadMode": "lfs" if f["path"].endswith(LFS_SUFFIXES) or f["size"] >= LFS_MIN_SIZE else "regular"}
                 for f in body["files"]]
        return 200, {"files": files, "commitOid": "0" * 40}

    def lfs_batch(self, body, m):
        if m["repo"] not in self.repos:
            return 404, {"message": "Repository not found"}
        objects = []
        for obj in body["objects"]:
            entry = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
            if obj["oid"] not in self.lfs:  # already stored objects need no upload
                entry["actions"] = {"upload": {"href": f"{self.endpoint}/lfs-storage/{obj['oid']}"}}
            objects.append(entry)
        return 200, {"transfer": "basic", "objects": objects}

    def lfs_upload(self, data: bytes, m):
        if hashlib.sha256(data).hexdigest() != m["oid"]:
            return 400, {"error": "sha256 mismatch"}
        self.lfs[m["oid"]] = data
        return 200, {}

    def commit(self, lines: list[dict], m):
        repo = self.repos.get(m["repo"])
        if repo is None or m["rev"] not in repo["branches"]:
            return 404, {"error": f"Repository or revision not found: {m['repo']}@{m['rev']}"}
        header, files = lines[0], dict(repo["branches"][m["rev"]])
        if header.get("key") != "header":
            return 400, {"error": "the first NDJSON line must be the header"}
        for line in lines[1:]:
            value = line["value"]
            if line["key"] == "file":
                files[value["path"]] = base64.b64decode(value["content"])
            elif line["key"] == "lfsFile":
                if value["oid"] not in self.lfs or len(self.lfs[value["oid"]]) != value.get("size"):
                    return 422, {"error": f"LFS object {value['oid']} for {value['path']} was never uploaded"}
                files[value["path"]] = self.lfs[value["oid"]]
            else:
                return 400, {"error": f"unsupported operation {line['key']}"}
        repo["branches"][m["rev"]] = files
        oid = hashlib.sha1(json.dumps(sorted(files)).encode() + str(len(self.commits)).encode()).hexdigest()
        self.commits.append({"repo": m["repo"], "rev": m["rev"], "summary": header["value"]["summary"],
                             "paths": sorted(files)})
        return 200, {"commitUrl": f"{self.endpoint}/{m['repo']}/commit/{oid}", "commitOid": oid,
                     "pullRequestUrl": None, "success": True}

    def branch(self, body, m):
        repo = self.repos.get(m["repo"])
        if repo is None:
            return 404, {"error": "Repository not found"}
        if m["rev"] in repo["branches"]:
            return 409, {"error": "Branch already exists"}
        repo["branches"][m["rev"]] = dict(repo["branches"]["main"])
        return 200, {}

    def repo_info(self, body, m):
        if m["repo"] not in self.repos:
            return 404, {"error": "Repository not found"}
        return 200, {"id": m["repo"], "private": self.repos[m["repo"]]["private"], "sha": "0" * 40, "siblings": []}


class _Handler(BaseHTTPRequestHandler):
    hub: HubStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        path = self.path.split("?")[0]
        for verb, name, pattern in ROUTES:
            m = pattern.match(path)
            if verb == method and m:
                return self._handle(name, m.groupdict())
        self._send(404, {"error": f"no route {method} {path}"})

    def _handle(self, name: str, groups: dict) -> None:
        hub = self.hub
        data = self._read_body()
        with hub._lock:
            hub.calls.append(name)
            action = hub._failures.get(name, []).pop(0) if hub._failures.get(name) else None
        if action == "drop":
            self.close_connection = True
            return
        if action is not None:
            return self._send(int(action), {"error": f"injected failure {action} on {name}"})
        if name not in NO_AUTH_ROUTES:
            auth = self.headers.get("Authorization", "")
            hub.seen_auth.add(auth)
            if auth != f"Bearer {hub.token}":
                return self._send(401, {"error": "Invalid credentials in Authorization header"})
        if name == "lfs-upload":
            body = data
        elif name == "commit":
            body = [json.loads(line) for line in data.splitlines() if line.strip()]
        else:
            body = json.loads(data) if data else {}
        with hub._lock:
            status, payload = getattr(hub, name.replace("-", "_"))(body, groups)
        self._send(status, payload)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
