"""A fake Kaggle API on 127.0.0.1 that speaks the kagglesdk protocol, for the push tests.

The official client talks to it over real HTTP (``KAGGLE_PIPELINE_API_URL``): ``POST
/v1/{service}/{Method}`` with camelCase JSON, errors as ``{"code", "message"}``, output files
and submission uploads on their own URLs. Scenarios are scripted on the ``FakeKaggle``
object: status sequences per kernel, stale statuses after a push, HTTP faults and delays per
route (before or after the call takes effect), push errors inside a 200 response, answers the
client cannot parse, downloads cut off mid-body, how train runs end, the weekly accelerator
quota. Every request is recorded for the assertions.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from shared.store.manifest import DatasetSpec, Manifest, RowRange

FINISHED = ("COMPLETE", "ERROR", "CANCEL_ACKNOWLEDGED")
TRAIN_EPOCHS = 4
# the header shared/bundle/script.py writes into every kernel
FINGERPRINT_RE = re.compile(r"^# Bundle fingerprint: sha256:([0-9a-f]+)$", re.MULTILINE)


@dataclass
class Recorded:
    method: str
    path: str
    route: str  # the API method name ("SaveKernel"), or "download"/"upload"
    body: Any  # parsed JSON for API calls, bytes for uploads
    status: int = 0  # what the fake answered
    answer: Any = None


@dataclass
class FakeVersion:
    number: int
    request: dict
    statuses: list[str]
    final: str | None = None
    outputs: dict[str, bytes] = field(default_factory=dict)
    log: str = ""
    polls: int = 0
    stop_reason: str = "completed"  # how a train run's training ends (its metrics.json)


@dataclass
class FakeKernel:
    owner: str
    slug: str
    versions: list[FakeVersion] = field(default_factory=list)
    stale_polls: int = 0  # polls of the newest version still answered with the previous final


def default_outputs(kernel: FakeKernel, version: FakeVersion) -> dict[str, bytes]:
    """What a run leaves: preprocessing kernels a manifest, the train kernel its results."""
    text = version.request.get("text", "")
    if "preprocess" in kernel.slug:
        match = FINGERPRINT_RE.search(text)
        spec = DatasetSpec(sample_shape=(28, 28, 1), split_rows={"train": 10}, classes=(0, 1),
                           stored_ids=())
        manifest = Manifest(producer=kernel.slug, spec=spec, ranges=(RowRange("train", 0, 10),),
                            shards=(), bundle_fingerprint=match.group(1) if match else "")
        return {"manifest.json": manifest.to_json().encode()}
    # Like kernels/train.py: TRAIN_EPOCHS planned; a session cut by the time limit trains two;
    # with its own previous output mounted, it continues from that output's train_state.json.
    resumed_from = None
    previous = kernel.versions[version.number - 2] if version.number > 1 else None
    if (f"{kernel.owner}/{kernel.slug}" in version.request.get("kernelDataSources", [])
            and previous is not None and "train_state.json" in previous.outputs):
        resumed_from = json.loads(previous.outputs["train_state.json"])["epochs_completed"]
    done = (resumed_from or 0) + 2 if version.stop_reason == "time_limit" else TRAIN_EPOCHS
    state = {"epochs_completed": done, "stop_reason": version.stop_reason}
    metrics = {"val_accuracy": 0.9, "version": version.number, "epochs_planned": TRAIN_EPOCHS,
               "resumed_from_epoch": resumed_from, **state}
    return {"submission.csv": b"id,label\n1,0\n2,1\n", "metrics.json": json.dumps(metrics).encode(),
            "train_state.json": json.dumps(state).encode(),
            "history.png": b"\x89PNG\r\n\x1a\n" + bytes(64)}


class FakeKaggle:
    """The fake server's state and scenario knobs; ``with FakeKaggle() as fake: fake.url``."""

    def __init__(self, username: str = "alice", key: str = "fake-key-0123456789abcdef",
                 token: str = "fake-access-token-0123456789") -> None:
        self.username, self.key, self.token = username, key, token
        self.kernels: dict[str, FakeKernel] = {}
        self.requests: list[Recorded] = []
        self.default_statuses = ["QUEUED", "RUNNING", "COMPLETE"]
        self.status_scripts: dict[str, list[str]] = {}  # slug -> statuses of its next version
        self.stale_after_push: dict[str, int] = {}  # slug -> stale polls after its next push
        self.push_errors: dict[str, str] = {}  # slug -> "error" of a 200 SaveKernel answer
        self.faults: dict[str, list[int]] = {}  # route -> HTTP statuses answered first, in order
        self.always_fail: dict[str, int] = {}  # route -> HTTP status answered every time
        self.delays: dict[str, list[float]] = {}  # route -> seconds to stall, one per call
        # the same, but after the call took effect (Kaggle accepted it, then the answer failed)
        self.faults_after: dict[str, list[int]] = {}
        self.delays_after: dict[str, list[float]] = {}
        self.cut_downloads: dict[str, int] = {}  # output file -> downloads cut off mid-body
        self.logs: dict[str, str] = {}  # slug -> the log its runs write
        self.stop_reasons: dict[str, list[str]] = {}  # slug -> how its next train runs end
        self.outputs_for: Callable[[FakeKernel, FakeVersion], dict[str, bytes]] = default_outputs
        self.page_size_cap = 2  # forces the client to page through output listings
        self.labels_supported = True  # False: every versionLabel is answered with 404
        # the weekly accelerator quota, hours (used, total allowed, reserved by running sessions)
        self.quota: dict[str, tuple[float, float, float]] = {"gpu": (0.0, 30.0, 0.0),
                                                            "tpu": (0.0, 20.0, 0.0)}
        self.quota_refresh = "2026-12-05T00:00:00Z"
        self.raw_answers: dict[str, bytes] = {}  # route -> a 200 body the client cannot parse
        self.missing_models: set[str] = set()  # model handles Kaggle does not find
        self.uploads: dict[str, bytes] = {}
        self.submissions: list[dict] = []
        # a submission's states, one per listing of the submissions that shows it (the last
        # stays): Kaggle scores a code submission by re-running it, which takes a while
        self.scoring: list[dict] = [{"status": "PENDING"},
                                    {"status": "COMPLETE", "publicScore": "0.8123"}]
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> "FakeKaggle":
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- scenario helpers -------------------------------------------------------------------
    def seed(self, slug: str, text: str, final: str = "COMPLETE", owner: str = "") -> FakeKernel:
        """A kernel that already ran once (version 1) with ``final`` status."""
        kernel = self.kernels.setdefault(slug, FakeKernel(owner or self.username, slug))
        version = FakeVersion(len(kernel.versions) + 1, {"text": text}, [final])
        kernel.versions.append(version)
        self._finish(kernel, version, final)
        return kernel

    def calls(self, route: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.route == route]

    def pushed_slugs(self) -> list[str]:
        return [r.body["slug"].split("/")[1] for r in self.calls("SaveKernel") if r.status == 200
                and "versionNumber" in (r.answer or {})]

    # -- state machine ----------------------------------------------------------------------
    def _finish(self, kernel: FakeKernel, version: FakeVersion, final: str) -> None:
        version.final = final
        if final == "COMPLETE":
            version.outputs = self.outputs_for(kernel, version)
        version.log = self.logs.get(kernel.slug, json.dumps(
            [{"stream_name": "stdout", "time": 1.0, "data": f"{kernel.slug} says hello\n"},
             {"stream_name": "stderr", "time": 2.0, "data": f"run ended {final}\n"}]))

    def _version(self, kernel: FakeKernel, label: str | None) -> FakeVersion:
        if not kernel.versions:
            raise _Error(404, "Notebook has no versions")
        if label is None:
            return kernel.versions[-1]
        if not self.labels_supported:
            raise _Error(404, f"Version {label} not found")
        if not re.fullmatch(r"v\d+", label) or not 1 <= int(label[1:]) <= len(kernel.versions):
            raise _Error(404, f"Version {label} not found")
        return kernel.versions[int(label[1:]) - 1]

    def _kernel(self, owner: str, slug: str) -> FakeKernel:
        kernel = self.kernels.get(slug)
        if kernel is None or kernel.owner != owner:
            raise _Error(404, "Notebook not found")
        return kernel

    def api(self, route: str, body: dict, user: str) -> dict:
        handler = getattr(self, f"_{route}", None)
        if handler is None:
            raise _Error(404, f"fake Kaggle has no route {route}")
        return handler(body, user)

    def _IntrospectToken(self, body: dict, user: str) -> dict:
        active = body.get("token") == self.token
        return {"active": active, "username": self.username if active else ""}

    def _SaveKernel(self, body: dict, user: str) -> dict:
        owner, _, slug = body.get("slug", "").partition("/")
        if owner != user:
            return {"error": f"You cannot push to {owner}'s notebooks"}
        if slug in self.push_errors:
            return {"error": self.push_errors.pop(slug)}
        if len(body.get("newTitle", "")) > 50:
            return {"error": "Title is too long"}
        missing = [s for s in body.get("kernelDataSources", [])
                   if s.partition("/")[2] not in self.kernels]
        kernel = self.kernels.setdefault(slug, FakeKernel(owner, slug))
        version = FakeVersion(len(kernel.versions) + 1, body,
                              list(self.status_scripts.pop(slug, self.default_statuses)))
        if self.stop_reasons.get(slug):
            version.stop_reason = self.stop_reasons[slug].pop(0)
        kernel.versions.append(version)
        kernel.stale_polls = self.stale_after_push.pop(slug, 0)
        answer = {"ref": f"/code/{owner}/{slug}", "url": f"{self.url}/code/{owner}/{slug}",
                  "versionNumber": version.number, "kernelId": 1000 + len(self.kernels)}
        if missing:
            answer["invalidKernelSources"] = missing
        models = [m for m in body.get("modelDataSources", []) if m in self.missing_models]
        if models:
            answer["invalidModelSources"] = models
        return answer

    def _GetKernelSessionStatus(self, body: dict, user: str) -> dict:
        kernel = self._kernel(body.get("userName", ""), body.get("kernelSlug", ""))
        version = self._version(kernel, body.get("versionLabel"))
        if kernel.stale_polls > 0 and len(kernel.versions) > 1:
            kernel.stale_polls -= 1
            return {"status": kernel.versions[-2].final or "COMPLETE"}
        if version.final is None:
            version.polls += 1
            status = version.statuses.pop(0) if len(version.statuses) > 1 else version.statuses[0]
            if status in FINISHED:
                self._finish(kernel, version, status)
        status = version.final or status
        return {"status": status, **({"failureMessage": "Your notebook hit an exception"}
                                     if status == "ERROR" else {})}

    def _ListKernelSessionOutput(self, body: dict, user: str) -> dict:
        kernel = self._kernel(body.get("userName", ""), body.get("kernelSlug", ""))
        version = self._version(kernel, body.get("versionLabel"))
        names = sorted(version.outputs)
        start = int(body.get("pageToken") or 0)
        size = min(int(body.get("pageSize") or 20), self.page_size_cap)
        page = names[start:start + size]
        answer: dict = {"files": [{"fileName": n, "url": f"{self.url}/files/{kernel.owner}/"
                                   f"{kernel.slug}/{version.number}/{n}"} for n in page],
                        "log": version.log}
        if start + size < len(names):
            answer["nextPageToken"] = str(start + size)
        return answer

    def _GetKernel(self, body: dict, user: str) -> dict:
        kernel = self._kernel(body.get("userName", ""), body.get("kernelSlug", ""))
        latest = self._version(kernel, None)
        return {"metadata": {"ref": f"{kernel.owner}/{kernel.slug}", "slug": kernel.slug,
                             "currentVersionNumber": latest.number},
                "blob": {"source": latest.request.get("text", ""), "slug": kernel.slug}}

    def _GetAcceleratorQuotaStatistics(self, body: dict, user: str) -> dict:
        """Durations as the API sends them: protobuf JSON, ``"<seconds>s"``."""
        def pool(used: float, total: float, reserved: float) -> dict:
            return {"timeUsed": f"{used * 3600:g}s", "totalTimeAllowed": f"{total * 3600:g}s",
                    "timeReserved": f"{reserved * 3600:g}s", "minimumTimeAllowed": "0s",
                    "hasEverRun": used > 0}
        return {"quotaRefreshTime": self.quota_refresh,
                **{f"{name}Quota": pool(*hours) for name, hours in self.quota.items()}}

    def _StartSubmissionUpload(self, body: dict, user: str) -> dict:
        token = f"blob-{len(self.uploads) + 1}"
        self.uploads[token] = b""
        return {"token": token, "createUrl": f"{self.url}/upload/{token}"}

    def _CreateSubmission(self, body: dict, user: str) -> dict:
        if not self.uploads.get(body.get("blobFileTokens", "")):
            raise _Error(400, "No uploaded file for this token")
        return self._record_submission("csv", 5000, body)

    def _CreateCodeSubmission(self, body: dict, user: str) -> dict:
        kernel = self._kernel(body.get("kernelOwner", ""), body.get("kernelSlug", ""))
        version = self._version(kernel, f"v{body.get('kernelVersion')}")
        if version.final != "COMPLETE":
            raise _Error(400, "The notebook version did not complete")
        return self._record_submission("code", 7000, body)

    def _record_submission(self, kind: str, base: int, body: dict) -> dict:
        ref = base + len(self.submissions) + 1
        self.submissions.append({"kind": kind, "ref": ref, "listed": 0, **body})
        return {"message": f"Successfully submitted to {body['competitionName']}", "ref": ref}

    def _ListSubmissions(self, body: dict, user: str) -> dict:
        """The newest first, one page (the client asks for the first page only)."""
        mine = [s for s in reversed(self.submissions)
                if s["competitionName"] == body.get("competitionName")]
        size = int(body.get("pageSize") or 20)
        shown = mine[:size]
        for s in shown:
            s["listed"] = s.get("listed", 0) + 1
        return {"submissions": [
            {"ref": s["ref"], "date": "2026-01-01T00:00:00.000Z",
             **self.scoring[min(s["listed"], len(self.scoring)) - 1],
             "description": s.get("submissionDescription", ""),
             "fileName": s.get("fileName", "submission.csv"), "submittedBy": user}
            for s in shown]}


class _Error(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class _Handler(BaseHTTPRequestHandler):
    fake: FakeKaggle
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        pass

    def _send(self, status: int, payload: Any, content_type: str = "application/json",
              headers: dict | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
            pass

    def _user(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        fake = self.fake
        if auth == f"Bearer {fake.token}":
            return fake.username
        if auth.startswith("Basic "):
            user, _, key = base64.b64decode(auth[6:]).decode().partition(":")
            if user == fake.username and key == fake.key:
                return user
        return None

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _fault(self, route: str) -> int | None:
        fake = self.fake
        with fake.lock:
            delay = fake.delays.get(route, [])
            pause = delay.pop(0) if delay else 0.0
            queued = fake.faults.get(route, [])
            code = queued.pop(0) if queued else fake.always_fail.get(route)
        if pause:
            time.sleep(pause)
        return code

    def do_POST(self) -> None:
        raw = self._body()
        match = re.fullmatch(r"/v1/([\w.]+)/(\w+)", self.path)
        route = match.group(2) if match else self.path
        body = json.loads(raw or b"{}") if match else {}
        record = Recorded("POST", self.path, route, body)
        with self.fake.lock:
            self.fake.requests.append(record)
        code = self._fault(route)
        user = self._user()
        try:
            if code is not None:
                raise _Error(code, "Too Many Requests" if code == 429 else "Internal error")
            if not match:
                raise _Error(404, "not an API route")
            if user is None:
                raise _Error(401, "Unauthenticated")
            with self.fake.lock:
                answer = self.fake.api(route, body, user)
                late = self.fake.faults_after.get(route, [])
                code = late.pop(0) if late else None
                stalls = self.fake.delays_after.get(route, [])
                stall = stalls.pop(0) if stalls else 0.0
            time.sleep(stall)
            if code is not None:
                raise _Error(code, "Internal error")
            record.status, record.answer = 200, answer
            raw = self.fake.raw_answers.get(route)
            if raw is not None:
                self._send(200, raw, "text/html")
                return
            self._send(200, answer)
        except _Error as exc:
            record.status = exc.code
            self._send(exc.code, {"code": exc.code, "message": exc.message})

    def do_GET(self) -> None:
        record = Recorded("GET", self.path, "download", None)
        with self.fake.lock:
            self.fake.requests.append(record)
        match = re.fullmatch(r"/files/([^/]+)/([^/]+)/(\d+)/(.+)", self.path)
        code = self._fault("download")
        with self.fake.lock:
            kernel = self.fake.kernels.get(match.group(2)) if match else None
            versions = kernel.versions if kernel else []
            number = int(match.group(3)) if match else 0
            data = versions[number - 1].outputs.get(match.group(4)) \
                if match and 1 <= number <= len(versions) else None
            cut = bool(match) and self.fake.cut_downloads.get(match.group(4), 0) > 0
            if cut:
                self.fake.cut_downloads[match.group(4)] -= 1
        record.status = code or (200 if data is not None else 404)
        if code is not None or data is None:
            self._send(record.status, {"code": record.status, "message": "no such file"})
        elif cut:
            self._send_cut_off(data)
        else:
            self._send(200, data, "application/octet-stream")

    def _send_cut_off(self, data: bytes) -> None:
        """Announce all of ``data``, send half of it, and hang up."""
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[:len(data) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def do_PUT(self) -> None:
        data = self._body()
        token = self.path.rsplit("/", 1)[-1]
        record = Recorded("PUT", self.path, "upload", data)
        with self.fake.lock:
            self.fake.requests.append(record)
            known = token in self.fake.uploads
            if known:
                self.fake.uploads[token] = data
        record.status = 200 if known else 404
        self._send(record.status, {} if known else {"code": 404, "message": "no such upload"})
