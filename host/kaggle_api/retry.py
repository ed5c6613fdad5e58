"""Retry transient Kaggle API failures with bounded exponential backoff and jitter.

Transient: HTTP 429 (honouring ``Retry-After`` up to the cap), HTTP 5xx, connection errors,
timeouts and a response body cut off mid-transfer. Everything else (a 4xx, a push refused
inside a 200 response) fails at once.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

import requests

from shared.checks import check_int, check_number
from host.settings import KaggleConfig

__all__ = ["RetryPolicy", "TransientError", "RetriesExhausted", "is_transient", "call_with_retry",
           "describe_error"]

T = TypeVar("T")


class TransientError(RuntimeError):
    """A failure worth retrying that did not come as an HTTP error (e.g. an upload cut off)."""


class RetriesExhausted(RuntimeError):
    """Every attempt failed with a transient error."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry."""

    retries: int = 5  # attempts after the first
    base_seconds: float = 2.0  # delay before the first retry; doubles each time
    max_seconds: float = 60.0  # no delay is longer than this
    jitter: float = 0.5  # each delay is scaled by a random factor in [1 - jitter, 1]

    def __post_init__(self) -> None:
        check_int("RetryPolicy.retries", self.retries, minimum=0)
        check_number("RetryPolicy.base_seconds", self.base_seconds, above=0)
        check_number("RetryPolicy.max_seconds", self.max_seconds, above=0)
        check_number("RetryPolicy.jitter", self.jitter, at_least=0, at_most=1)

    @classmethod
    def from_config(cls, kaggle: KaggleConfig) -> "RetryPolicy":
        """``[kaggle] retries``, ``retry_base_seconds`` and ``retry_max_seconds``."""
        return cls(kaggle.retries, kaggle.retry_base_seconds, kaggle.retry_max_seconds)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(self.max_seconds, max(0.0, retry_after))
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        return ceiling * (1 - self.jitter * random.random())


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def is_transient(exc: BaseException) -> bool:
    """True for HTTP 429/5xx, connection failures, timeouts, a body cut off or garbled in
    transfer, and ``TransientError``."""
    if isinstance(exc, TransientError):
        return True
    if isinstance(exc, (requests.ConnectionError, requests.Timeout,
                        requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError)):
        return True
    status = _status(exc)
    return isinstance(exc, requests.HTTPError) and status is not None and (
        status == 429 or status >= 500)


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    if _status(exc) != 429 or response is None:
        return None
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def describe_error(exc: BaseException) -> str:
    """A one-line description that names the HTTP status when there is one."""
    status = _status(exc)
    text = str(exc).strip() or type(exc).__name__
    if status is not None and str(status) not in text:
        return f"HTTP {status}: {text}"
    return text


def call_with_retry(func: Callable[[], T], *, what: str, policy: RetryPolicy,
                    on_retry: Callable[[str], None] | None = None,
                    sleep: Callable[[float], None] = time.sleep,
                    recover: Callable[[], T | None] | None = None) -> T:
    """``func()``, retried on transient errors; ``what`` names the call in messages.

    For a call that must not take effect twice, ``recover`` looks for its effect: it runs after
    each transient failure and its pause (the last one too), and a result other than None is
    returned as the call's result instead of calling ``func`` again.
    """
    for attempt in range(1, policy.retries + 2):
        try:
            return func()
        except Exception as exc:
            if not is_transient(exc):
                raise
            last = attempt > policy.retries
            if last and recover is None:
                raise _exhausted(what, attempt, exc) from exc
            pause = policy.delay(attempt, _retry_after(exc))
            if on_retry is not None:
                step = f"retry {attempt}/{policy.retries} in {pause:.1f}s"
                if recover is not None:
                    step = (f"a last look in {pause:.1f}s whether it went through" if last
                            else f"{step} unless it went through")
                on_retry(f"{what}: {describe_error(exc)}; {step}")
            sleep(pause)
            if recover is not None:
                found = recover()
                if found is not None:
                    return found
            if last:
                raise _exhausted(what, attempt, exc) from exc
    raise AssertionError("unreachable")  # the loop always returns or raises


def _exhausted(what: str, attempts: int, exc: BaseException) -> RetriesExhausted:
    return RetriesExhausted(
        f"{what}: gave up after {attempts} attempts; last error: {describe_error(exc)}. Kaggle "
        "may be rate-limiting or down: wait and re-run (raise [kaggle] retries for more "
        "patience)")
