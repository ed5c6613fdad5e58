"""KaggleService: the calls the push makes, each through the official client, with retries.

Every call is retried on transient failures (``retry.py``) and checked for the client's quiet
failures: a push refused inside an HTTP 200 response, sources Kaggle dropped, an upload that
did not finish. A submission is retried only once the competition's submissions show that
the failed attempt was not recorded, so it never counts twice. Runs are addressed by version
(``version_label="v<N>"``) so that the status, log and outputs read are those of the version
this run pushed, not of the previous one.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import requests

from host.bundle.folder import KernelFolder
from host.kaggle_api.retry import (RetriesExhausted, RetryPolicy, TransientError,
                                     call_with_retry, describe_error)

__all__ = ["KaggleService", "KaggleCallError", "PushRejected", "SubmissionUnknown",
           "PushedVersion", "SessionStatus", "OutputFile", "OutputListing", "Submission",
           "version_label"]

ACTIVE_STATES = ("queued", "running", "new_script", "cancel_requested")
FINISHED_STATES = ("complete", "error", "cancel_acknowledged")
SUBMISSIONS_PAGE = 20  # the newest submissions searched for one that may have counted


class KaggleCallError(RuntimeError):
    """A call Kaggle refused (HTTP 4xx): the message says which call, and how to fix it."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PushRejected(KaggleCallError):
    """Kaggle did not accept a kernel version, even if the HTTP status said OK."""


class SubmissionUnknown(RuntimeError):
    """A submission attempt failed in a way that may have counted, and it could not be checked."""


@dataclass(frozen=True)
class PushedVersion:
    kernel_id: str  # owner/slug
    version: int | None  # None if Kaggle did not say (then "latest" is watched)
    url: str


@dataclass(frozen=True)
class SessionStatus:
    state: str  # lowercase KernelWorkerStatus name: queued, running, complete, error, ...
    failure_message: str = ""

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES


@dataclass(frozen=True)
class OutputFile:
    name: str
    url: str


@dataclass(frozen=True)
class OutputListing:
    files: tuple[OutputFile, ...]
    log: str


@dataclass(frozen=True)
class Submission:
    ref: int
    message: str  # Kaggle's answer
    description: str = ""  # what it was submitted with: the message and its own "[ref ...]"


def version_label(version: int | None) -> str | None:
    """The API's label for a kernel version: ``v3`` (a bare ``3`` is not found)."""
    return None if version is None else f"v{version}"


def _split(kernel_id: str) -> tuple[str, str]:
    owner, _, slug = kernel_id.partition("/")
    return owner, slug


class KaggleService:
    """The push's view of Kaggle, on top of an authenticated official ``KaggleApi``."""

    def __init__(self, api: Any, *, retry: RetryPolicy, say: Callable[[str], None] = print,
                 download_timeout: float = 120.0) -> None:
        self.api = api
        self.retry = retry
        self.say = say
        self.download_timeout = download_timeout
        self.use_labels = True

    def _call(self, what: str, func: Callable[[], Any]) -> Any:
        try:
            return call_with_retry(func, what=what, policy=self.retry, on_retry=self.say)
        except requests.HTTPError as exc:
            raise self._refused(what, exc) from exc

    @staticmethod
    def _refused(what: str, exc: requests.HTTPError) -> KaggleCallError:
        status = getattr(exc.response, "status_code", None)
        hint = {401: "the credentials were rejected: create a new API token at "
                     "https://www.kaggle.com/settings",
                403: "permission denied: check that the kernels belong to the account in "
                     "your credentials, and that you joined the competition",
                404: "not found: check the kernel id / competition slug"}.get(status, "")
        return KaggleCallError(f"{what}: {describe_error(exc)}" + (f"; {hint}" if hint else ""),
                               status)

    def _versioned(self, what: str, make_call: Callable[[str | None], Callable[[], Any]],
                   version: int | None) -> Any:
        """Call with the version's label; if Kaggle cannot resolve labels (404), fall back to
        the latest run for the rest of this session (the settle guard still applies)."""
        label = version_label(version) if self.use_labels else None
        try:
            return self._call(what, make_call(label))
        except KaggleCallError as exc:
            if label is None or exc.status != 404:
                raise
            self.use_labels = False
            self.say(f"note: Kaggle did not resolve version label {label!r} ({exc}); reading "
                     "the latest run instead")
            return self._call(what, make_call(None))

    def push(self, kernel: KernelFolder) -> PushedVersion:
        """Upload ``kernel``'s folder as a new version (which Kaggle then runs)."""
        meta = kernel.metadata()
        response = self._call(f"push {meta.get('id')}",
                              lambda: self.api.kernels_push(str(kernel.path)))
        if response is None or response.error:
            raise PushRejected(f"Kaggle refused the push of {meta.get('id')}: "
                               f"{getattr(response, 'error', None) or 'empty response'}")
        dropped = {name: list(getattr(response, f"invalid_{name}_sources"))
                   for name in ("dataset", "competition", "kernel", "model")
                   if getattr(response, f"invalid_{name}_sources")}
        if dropped:
            raise PushRejected(f"{meta.get('id')} version {response.version_number} was pushed "
                               f"but Kaggle dropped sources it needs: {dropped}; check that they "
                               "exist and that your account can read them")
        return PushedVersion(meta["id"], response.version_number, response.url)

    def status(self, kernel_id: str, version: int | None) -> SessionStatus:
        """The run status of ``version`` (None: the latest) of ``kernel_id``."""
        from kagglesdk.kernels.types.kernels_api_service import ApiGetKernelSessionStatusRequest

        def make_call(label: str | None) -> Callable[[], Any]:
            def call() -> Any:
                request = ApiGetKernelSessionStatusRequest()
                request.user_name, request.kernel_slug = _split(kernel_id)
                request.version_label = label
                with self.api.build_kaggle_client() as kaggle:
                    return kaggle.kernels.kernels_api_client.get_kernel_session_status(request)
            return call

        response = self._versioned(f"status of {kernel_id} v{version}", make_call, version)
        return SessionStatus(response.status.name.lower(), response.failure_message or "")

    def outputs(self, kernel_id: str, version: int | None) -> OutputListing:
        """The output files (with download URLs) and the log of a run, all pages."""
        from kagglesdk.kernels.types.kernels_api_service import ApiListKernelSessionOutputRequest

        files: list[OutputFile] = []
        log = ""
        token = None
        while True:
            def make_call(label: str | None, token: str | None = token) -> Callable[[], Any]:
                def call() -> Any:
                    request = ApiListKernelSessionOutputRequest()
                    request.user_name, request.kernel_slug = _split(kernel_id)
                    request.version_label = label
                    request.page_size = 100
                    request.page_token = token
                    with self.api.build_kaggle_client() as kaggle:
                        return kaggle.kernels.kernels_api_client.list_kernel_session_output(
                            request)
                return call

            response = self._versioned(f"outputs of {kernel_id} v{version}", make_call, version)
            files += [OutputFile(f.file_name, f.url) for f in response.files or []]
            log = log or (response.log or "")
            token = response.next_page_token
            if not token:
                return OutputListing(tuple(files), log)

    def latest_version(self, kernel_id: str) -> tuple[int | None, str] | None:
        """``(current version number, its source text)``, or None if the kernel does not exist."""
        from kagglesdk.kernels.types.kernels_api_service import ApiGetKernelRequest

        def call() -> Any:
            request = ApiGetKernelRequest()
            request.user_name, request.kernel_slug = _split(kernel_id)
            with self.api.build_kaggle_client() as kaggle:
                return kaggle.kernels.kernels_api_client.get_kernel(request)

        try:
            response = self._call(f"look up {kernel_id}", call)
        except KaggleCallError as exc:
            if exc.status == 404:
                return None
            raise
        version = response.metadata.current_version_number if response.metadata else None
        return version or None, (response.blob.source if response.blob else "")

    def quota(self) -> Any:
        """The client's answer to ``kaggle quota``: this week's GPU and TPU hours
        (``quota_view``; read by ``host.kaggle_api.quota``)."""
        return self._call("read the weekly accelerator quota", self.api.quota_view)

    def download(self, file: OutputFile, dest: Path) -> Path:
        """Fetch one output file to ``dest`` (a temporary name first, renamed when complete).

        Output URLs are pre-signed; like the official client, they are fetched without the
        Kaggle credentials.
        """
        part = dest.with_name(f".{dest.name}.part")

        def call() -> None:
            with requests.get(file.url, stream=True, timeout=self.download_timeout) as response:
                response.raise_for_status()
                with open(part, "wb") as fh:
                    for chunk in response.iter_content(chunk_size=1 << 20):
                        fh.write(chunk)
                    fh.flush()
                    os.fsync(fh.fileno())
            os.replace(part, dest)

        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._call(f"download {file.name}", call)
        finally:
            part.unlink(missing_ok=True)
        return dest

    def submit_csv(self, competition: str, path: Path, message: str) -> Submission:
        """Upload ``path`` as a submission to a CSV competition (once, see ``_submit_once``)."""
        def create(description: str) -> Callable[[], Any]:
            def call() -> Any:
                response = self.api.competition_submit(str(path), description, competition,
                                                       quiet=True)
                if response.message == self.api.COMPETITION_SUBMIT_UPLOAD_FAILED_MESSAGE:
                    raise TransientError(f"the upload of {path.name} did not complete")
                return response
            return call

        return self._submit_once(f"submit {path.name} to {competition}", competition, message,
                                 create)

    def submit_code(self, competition: str, kernel_id: str, version: int | None,
                    file_name: str, message: str) -> Submission:
        """Submit version ``version`` of ``kernel_id`` to a code competition (once)."""
        def create(description: str) -> Callable[[], Any]:
            return lambda: self.api.competition_submit_code(
                file_name, description, competition, kernel=kernel_id, kernel_version=version,
                quiet=True)

        return self._submit_once(f"submit {kernel_id} v{version} to {competition}", competition,
                                 message, create)

    def submissions(self, competition: str) -> list[Any]:
        """The latest submissions to ``competition``, newest first (the client's objects:
        ``ref``, ``status``, ``public_score``, ``description`` ...)."""
        listing = self._call(f"list the submissions to {competition}",
                             lambda: self.api.competition_submissions(
                                 competition, page_size=SUBMISSIONS_PAGE))
        return [entry for entry in listing or [] if entry is not None]

    def find_submission(self, competition: str, tag: str) -> Submission | None:
        """The newest of the latest submissions to ``competition`` whose description holds
        ``tag`` (a reference made for one submission), or None."""
        for entry in self.submissions(competition):
            if tag in (entry.description or ""):
                return Submission(int(entry.ref), f"recorded as {entry.status.name.lower()}",
                                  entry.description)
        return None

    def _submit_once(self, what: str, competition: str, message: str,
                     create: Callable[[str], Callable[[], Any]]) -> Submission:
        """One submission, retried without ever counting twice.

        A 5xx or a timeout can come after Kaggle recorded the submission. Its description
        carries a reference new to this call, so before each retry (and before giving up)
        the competition's submissions are searched for it; only when it is not there is the
        submission made again. A listing that cannot be read stops the retries.
        """
        tag = f"[ref {secrets.token_hex(4)}]"
        description = f"{message} {tag}" if message else tag

        def recover() -> Submission | None:
            try:
                found = self.find_submission(competition, tag)
            except (KaggleCallError, RetriesExhausted) as exc:
                raise SubmissionUnknown(
                    f"{what}: an attempt failed after it may have reached Kaggle, and the "
                    f"submissions could not be listed to check ({exc}). Look for "
                    f"{description!r} at https://www.kaggle.com/competitions/{competition}/"
                    "submissions before submitting again") from None
            if found is None:
                self.say(f"{what}: not among the submissions to {competition}: the failed "
                         "attempt did not count")
            else:
                self.say(f"{what}: Kaggle recorded it despite the error (ref {found.ref}); "
                         "not submitting again")
            return found

        try:
            response = call_with_retry(create(description), what=what, policy=self.retry,
                                       on_retry=self.say, recover=recover)
        except requests.HTTPError as exc:
            raise self._refused(what, exc) from exc
        if isinstance(response, Submission):
            return response
        if not response.ref:
            raise KaggleCallError(f"Kaggle did not accept the submission to {competition}: "
                                  f"{response.message or 'no reference returned'}")
        return Submission(int(response.ref), response.message or "", description)
