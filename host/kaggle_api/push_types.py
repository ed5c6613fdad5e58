"""What one push is asked to do (``PushOptions``) and what it reports (``PushReport``, and
``PushFailed`` with the report of what finished before it stopped)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host.kaggle_api.service import Submission
from host.kaggle_api.waiting import PollSettings
from shared.checks import check_choice, check_int, check_number

__all__ = ["PushOptions", "KernelOutcome", "PushReport", "PushFailed"]


@dataclass(frozen=True)
class PushOptions:
    """What one run of the push does."""

    competition: str
    submission: str = "csv"  # csv: upload submission.csv; code: submit the train kernel version
    submit: bool = False
    skip_unchanged: bool = False
    max_concurrent: int = 2
    max_concurrent_gpu: int = 2  # fold kernels running at once
    poll: PollSettings = field(default_factory=PollSettings)
    output_dir: Path = Path("kaggle-output")
    message: str = ""  # the submission's description; "" = kernel id and version
    continue_training: bool = False  # the train kernel mounts and continues its last run
    max_fallback_fraction: float = 0.01  # [competition]: test rows that may lack an image

    def __post_init__(self) -> None:
        check_choice("PushOptions.submission", self.submission, ("csv", "code"))
        check_int("PushOptions.max_concurrent", self.max_concurrent)
        check_int("PushOptions.max_concurrent_gpu", self.max_concurrent_gpu)
        check_number("PushOptions.max_fallback_fraction", self.max_fallback_fraction,
                     at_least=0.0, at_most=1.0)


@dataclass
class KernelOutcome:
    kernel_id: str
    state: str  # complete, skipped, unfinished, error, timeout, failed, running, not pushed
    version: int | None = None
    detail: str = ""


@dataclass
class PushReport:
    """What the run achieved so far."""

    outcomes: list[KernelOutcome] = field(default_factory=list)
    outputs: Path | None = None
    submission: Submission | None = None
    scoring: Any = None  # a code submission's last state (host.kaggle_api.scoring)

    def summary(self) -> str:
        lines = ["summary:"]
        for o in self.outcomes:
            version = f"v{o.version}" if o.version else "-"
            lines.append(f"  {o.kernel_id:<50} {version:>5}  {o.state}"
                         + (f" ({o.detail})" if o.detail else ""))
        if self.outputs:
            lines.append(f"  outputs downloaded to {self.outputs}")
        if self.submission:
            sub = self.submission
            lines.append(f"  submission ref {sub.ref}"
                         + (f" ({sub.description!r})" if sub.description else "")
                         + f": {sub.message}")
        if self.scoring is not None:
            lines.append(f"  scoring: {self.scoring.describe()}")
        return "\n".join(lines)


class PushFailed(RuntimeError):
    """The run stopped; ``report`` says what finished before it did. ``traceback`` is set
    when the cause was unexpected (a bug, an answer the client could not read);
    ``rerun_helps`` is False when a plain re-run would stop the same way."""

    def __init__(self, message: str, report: PushReport, traceback: str = "",
                 rerun_helps: bool = True) -> None:
        super().__init__(message)
        self.report = report
        self.traceback = traceback
        self.rerun_helps = rerun_helps  # False: the message says what to do instead
