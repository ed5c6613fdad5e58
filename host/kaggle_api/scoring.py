"""After a code submission: poll its status until Kaggle has scored it, or say how to check.

Kaggle scores a code competition's submission by re-running the submitted notebook on the
hidden test set, which can take hours. ``await_score`` polls the competition's submissions for
the one just made, backing off as kernel polls do, up to ``[kaggle] timeout_minutes``; a
submission still pending then is no failure: the report says so and how to look later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from host.kaggle_api.retry import RetriesExhausted
from host.kaggle_api.service import KaggleCallError, KaggleService, Submission
from host.kaggle_api.waiting import PollSettings

__all__ = ["SubmissionState", "await_score", "check_later"]

_FINAL = ("complete", "error")


@dataclass(frozen=True)
class SubmissionState:
    """A submission as the competition's submission list shows it."""

    status: str  # pending, complete or error (lower case); "unknown" when not listed
    public_score: str = ""
    error: str = ""

    def describe(self) -> str:
        if self.status == "complete":
            return f"scored: public score {self.public_score or '(hidden)'}"
        if self.status == "error":
            return f"failed in Kaggle's scoring rerun: {self.error or 'no reason given'}"
        return f"{self.status} (Kaggle is re-running the notebook on the hidden test set)"


def check_later(competition: str, submission: Submission) -> str:
    return (f"it is still being scored (scoring can take hours); look later with 'kaggle "
            f"competitions submissions {competition}' (ref {submission.ref}) or at "
            f"https://www.kaggle.com/competitions/{competition}/submissions")


def _state(service: KaggleService, competition: str, ref: int) -> SubmissionState:
    for entry in service.submissions(competition):
        if int(entry.ref) == ref:
            status = getattr(entry.status, "name", str(entry.status or "unknown")).lower()
            return SubmissionState(status=status, public_score=str(entry.public_score or ""),
                                   error=str(entry.error_description or ""))
    return SubmissionState(status="unknown")


def await_score(service: KaggleService, competition: str, submission: Submission,
                poll: PollSettings, *, say: Callable[[str], None],
                sleep: Callable[[float], None] = time.sleep,
                clock: Callable[[], float] = time.monotonic) -> SubmissionState:
    """The submission's state once scored or failed, or the last one seen at the timeout."""
    started, interval = clock(), poll.first_interval
    state = SubmissionState(status="unknown")
    while True:
        try:
            state = _state(service, competition, submission.ref)
        except (KaggleCallError, RetriesExhausted) as exc:
            say(f"submission ref {submission.ref}: status unavailable ({exc}); polling on")
        else:
            say(f"  submission ref {submission.ref}: {state.describe()}")
            if state.status in _FINAL:
                return state
        if clock() - started + interval > poll.timeout:
            return state
        sleep(interval)
        interval = min(interval * poll.backoff, poll.max_interval)
