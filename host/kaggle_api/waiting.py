"""Follow one pushed run until it finishes, without trusting the previous run's status.

Right after a push, Kaggle can still report the status of the kernel's previous run (often
``complete`` or ``error``). A ``RunWatch`` therefore trusts a finished status at once only
after it has seen the new run queued or running; a finished status seen before that is
trusted once it has held, unchanged, for ``settle_seconds``. Polls back off from
``first_interval`` to ``max_interval``; a run still going after ``timeout`` seconds has timed
out.
"""

from __future__ import annotations

from dataclasses import dataclass

from host.kaggle_api.service import PushedVersion, SessionStatus
from shared.checks import check_number
from host.settings import KaggleConfig

__all__ = ["PollSettings", "RunWatch"]


@dataclass(frozen=True)
class PollSettings:
    """How to wait for one run."""

    first_interval: float = 30.0  # seconds before the first poll
    max_interval: float = 300.0
    timeout: float = 720 * 60.0  # seconds from the push
    settle_seconds: float = 60.0
    backoff: float = 1.5  # each interval is this much longer than the one before

    def __post_init__(self) -> None:
        for name in ("first_interval", "max_interval", "timeout"):
            check_number(f"PollSettings.{name}", getattr(self, name), above=0)
        check_number("PollSettings.settle_seconds", self.settle_seconds, at_least=0)
        check_number("PollSettings.backoff", self.backoff, at_least=1)

    @classmethod
    def from_config(cls, kaggle: KaggleConfig, *,
                    first_interval: float | None = None) -> "PollSettings":
        """``[kaggle] poll_interval`` (or ``first_interval``), ``max_poll_interval``,
        ``timeout_minutes`` and ``settle_seconds``."""
        first = kaggle.poll_interval if first_interval is None else first_interval
        return cls(first_interval=first, max_interval=max(kaggle.max_poll_interval, first),
                   timeout=kaggle.timeout_minutes * 60, settle_seconds=kaggle.settle_seconds)


class RunWatch:
    """The polling state of one pushed run; the caller polls when ``next_poll`` is due."""

    def __init__(self, pushed: PushedVersion, settings: PollSettings, now: float) -> None:
        self.pushed = pushed
        self.settings = settings
        self.started = now
        self.interval = settings.first_interval
        self.next_poll = now + settings.first_interval
        self.seen_active = False
        self.unconfirmed: SessionStatus | None = None
        self.unconfirmed_since = 0.0
        self.last: SessionStatus | None = None

    def timed_out(self, now: float) -> bool:
        return now - self.started >= self.settings.timeout

    def observe(self, status: SessionStatus, now: float) -> SessionStatus | None:
        """Record one poll; returns the run's final status once it can be trusted."""
        self.last = status
        trusted = None
        if not status.finished:
            self.seen_active = True
            self.unconfirmed = None
        elif self.seen_active:
            trusted = status
        elif self.unconfirmed != status:
            self.unconfirmed, self.unconfirmed_since = status, now
            if self.settings.settle_seconds == 0:
                trusted = status
        elif now - self.unconfirmed_since >= self.settings.settle_seconds:
            trusted = status
        self.interval = min(self.settings.max_interval, self.interval * self.settings.backoff)
        wait = self.interval
        if self.unconfirmed is not None and trusted is None:
            settle_left = self.unconfirmed_since + self.settings.settle_seconds - now
            wait = min(wait, max(settle_left, 0.0))
        self.next_poll = min(now + wait, self.started + self.settings.timeout)
        return trusted

    def postpone(self, now: float) -> None:
        """No status could be read this time: poll again after the current interval."""
        self.next_poll = min(now + self.interval, self.started + self.settings.timeout)

    def describe(self, now: float) -> str:
        """``alice/x v3: running (02m10s)``, noting a status that may be the previous run's."""
        state = self.last.state if self.last else "pushed"
        seconds = int(now - self.started)
        note = ""
        if self.unconfirmed is not None:
            note = " (may still be the previous run's status; confirming)"
        return (f"{self.pushed.kernel_id} v{self.pushed.version}: {state} "
                f"({seconds // 60:02d}m{seconds % 60:02d}s){note}")
