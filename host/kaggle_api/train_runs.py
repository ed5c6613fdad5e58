"""How a train kernel's run ended, from the ``metrics.json`` it wrote.

A run of the train kernel can "complete" on Kaggle and still be unfinished: when
``[train] time_limit_hours`` stops it, it writes a submission from the best model so far and
``"stop_reason": "time_limit"``. Such a run is neither reused nor submitted; it is continued
by pushing the train kernel again with its own output mounted (``push.py
--continue-training``), where it finds ``train_state.json`` and resumes at the next epoch.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from host.kaggle_api.outputs import output_listing
from host.kaggle_api.service import KaggleService

__all__ = ["TrainRun", "TrainingUnfinished", "FINISHED_REASONS", "METRICS_NAME", "STATE_NAME",
           "train_run_from_metrics", "load_train_run", "load_metrics", "read_train_run",
           "unfinished_message"]

# Written by shared.training (outputs.py, state.py); not imported from there, which loads Keras.
METRICS_NAME = "metrics.json"
STATE_NAME = "train_state.json"
FINISHED_REASONS = ("completed", "early_stopping")
CONTINUE_COMMAND = "python scripts/push.py --continue-training --skip-unchanged --submit"


class TrainingUnfinished(RuntimeError):
    """The train kernel's run did not finish its training: not reused, not submitted."""


@dataclass(frozen=True)
class TrainRun:
    """What one run of the train kernel reported."""

    stop_reason: str  # completed | early_stopping | time_limit; "" when metrics.json lacks it
    epochs_completed: int | None = None
    epochs_planned: int | None = None
    has_state: bool = False  # its output holds train_state.json: it can be continued

    @property
    def finished(self) -> bool:
        return self.stop_reason in FINISHED_REASONS

    def describe(self) -> str:
        """``stopped by the time limit after 2 of 4 epochs``, ``completed after 4 epochs``."""
        done, planned = self.epochs_completed, self.epochs_planned
        epochs = "" if done is None else f" after {done}" + (
            f" of {planned}" if planned is not None else "") + " epochs"
        if self.stop_reason == "time_limit":
            return f"stopped by the time limit{epochs}"
        if self.stop_reason == "early_stopping":
            return f"stopped early (no more improvement){epochs}"
        if self.stop_reason:
            return f"{self.stop_reason.replace('_', ' ')}{epochs}"
        return "reported no stop_reason in its metrics.json"


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def train_run_from_metrics(metrics: Mapping[str, Any], *, has_state: bool) -> TrainRun:
    """A ``TrainRun`` from the parsed ``metrics.json`` of the train kernel."""
    reason = metrics.get("stop_reason")
    return TrainRun(stop_reason=reason if isinstance(reason, str) else "",
                    epochs_completed=_int(metrics.get("epochs_completed")),
                    epochs_planned=_int(metrics.get("epochs_planned")), has_state=has_state)


def _parse(path: Path) -> Mapping[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load_metrics(folder: str | Path) -> Mapping[str, Any]:
    """The parsed ``metrics.json`` downloaded into ``folder`` ({} when absent or unreadable)."""
    return _parse(Path(folder) / METRICS_NAME)


def load_train_run(folder: str | Path) -> TrainRun:
    """The run whose outputs were downloaded into ``folder``."""
    folder = Path(folder)
    return train_run_from_metrics(_parse(folder / METRICS_NAME),
                                  has_state=(folder / STATE_NAME).is_file())


def read_train_run(service: KaggleService, kernel_id: str,
                   version: int | None) -> TrainRun | None:
    """The run ``version`` (None: the latest) of the train kernel, read from its output on
    Kaggle; None when the kernel has no run or wrote no ``metrics.json``."""
    listing = output_listing(service, kernel_id, version)
    if listing is None:
        return None
    files = {f.name: f for f in listing.files}
    if METRICS_NAME not in files:
        return None
    with tempfile.TemporaryDirectory(prefix="kaggle-metrics-") as tmp:
        path = service.download(files[METRICS_NAME], Path(tmp) / METRICS_NAME)
        return train_run_from_metrics(_parse(path), has_state=STATE_NAME in files)


def unfinished_message(kernel_id: str, version: int | None, run: TrainRun) -> str:
    """Why an unfinished run is not used, and how to continue it."""
    resume = (f"; it resumes at epoch {run.epochs_completed + 1}"
              if run.epochs_completed is not None else "")
    if not run.stop_reason:
        return (f"{kernel_id} v{version} {run.describe()}, so it is not known to have finished "
                "training: it is neither reused nor submitted. Read its log (kernel.log beside "
                "the downloaded outputs)")
    return (f"{kernel_id} v{version} {run.describe()}: training is unfinished, so it is "
            f"neither reused nor submitted. Continue it with '{CONTINUE_COMMAND}': the train "
            f"kernel then mounts its own output and continues from train_state.json{resume}")
