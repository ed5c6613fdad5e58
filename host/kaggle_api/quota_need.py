"""How many accelerator hours a push will spend: every kernel on a GPU or TPU x its epochs x
the seconds one epoch takes there.

The seconds per epoch come from the kernel's last run on Kaggle (``train_seconds_total`` over
``epochs_completed`` in its ``metrics.json``, when that run was on the same machine shape),
else from a stated guess: the shape's guessed throughput at 224x224x3
(``host.machine_shapes``) scaled by the kernel's pixels and rows, plus ``EPOCH_OVERHEAD_S``.
A dry run's seconds never count: they were measured on a CPU. A kernel spends at most its
time limit (``TrainChoices.time_limit_hours``), so that caps its need. A code competition's
inference kernel runs once on the public rows (``INFER_PUBLIC_S``, a stated guess: loading
the models and predicting a few images); its scoring reruns are Kaggle's, not the week's.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from host.bundle.baked import baked_assignment
from host.bundle.folder import KernelFolder
from host.kaggle_api.outputs import output_listing
from host.kaggle_api.service import KaggleService
from host.kaggle_api.train_runs import METRICS_NAME, load_metrics
from host.machine_shapes import MachineShape, machine_shape
from shared.assignment import InferAssignment, TrainAssignment

__all__ = ["KernelNeed", "kernel_need", "guess_epoch_seconds", "last_epoch_seconds",
           "EPOCH_OVERHEAD_S", "REFERENCE_PIXELS", "UNKNOWN_ROWS", "INFER_PUBLIC_S"]

EPOCH_OVERHEAD_S = 10.0  # guessed: validation, the checkpoint and the callbacks of an epoch
REFERENCE_PIXELS = 224 * 224 * 3  # what MachineShape.samples_per_s is guessed at
UNKNOWN_ROWS = 20_000  # rows of 224x224x3 assumed when the kernel does not say its data
INFER_PUBLIC_S = 600.0  # guessed: the inference kernel's public run (models, a few images)


@dataclass(frozen=True)
class KernelNeed:
    """One kernel's estimated use of its machine's weekly quota."""

    kernel_id: str
    pool: str  # gpu | tpu: the quota it draws on
    shape: str
    epochs: int
    seconds_per_epoch: float
    source: str  # where seconds_per_epoch comes from
    limit_hours: float  # the kernel stops training by then

    @property
    def hours(self) -> float:
        return min(self.epochs * self.seconds_per_epoch / 3600, self.limit_hours)

    def describe(self) -> str:
        capped = " (its time limit)" if self.hours < self.epochs * self.seconds_per_epoch \
            / 3600 else ""
        return (f"{self.kernel_id} on {self.shape}: {self.epochs} epochs x "
                f"{self.seconds_per_epoch:.1f} s ({self.source}) = {self.hours:.2f} h{capped}")


def guess_epoch_seconds(shape: MachineShape, rows: int | None,
                        sample_shape: tuple[int, ...] | None) -> tuple[float, str]:
    """The stated guess for one epoch of ``rows`` samples of ``sample_shape`` on ``shape``."""
    if rows is None or not sample_shape:
        rows, pixels, data = UNKNOWN_ROWS, REFERENCE_PIXELS, \
            f"{UNKNOWN_ROWS} rows of 224x224x3 assumed"
    else:
        pixels = math.prod(sample_shape)
        data = f"{rows} rows of {'x'.join(map(str, sample_shape))}"
    seconds = EPOCH_OVERHEAD_S + rows * (pixels / REFERENCE_PIXELS) / shape.samples_per_s
    return seconds, (f"a guess for {shape.name}: {data} at {shape.samples_per_s:g} samples/s "
                     f"of 224x224x3 + {EPOCH_OVERHEAD_S:g} s; no earlier run on this shape")


def last_epoch_seconds(metrics: Mapping[str, Any], shape: str) -> float | None:
    """Seconds per epoch of the run that wrote ``metrics`` (its ``metrics.json``), if it ran on
    ``shape`` and trained at least one epoch; else None."""
    seconds, epochs = metrics.get("train_seconds_total"), metrics.get("epochs_completed")
    if metrics.get("machine_shape") != shape:
        return None
    if not isinstance(seconds, (int, float)) or not isinstance(epochs, int) or epochs < 1 \
            or seconds <= 0:
        return None
    return float(seconds) / epochs


def _last_metrics(service: KaggleService, kernel_id: str) -> Mapping[str, Any]:
    """The ``metrics.json`` of the kernel's latest run on Kaggle ({} when there is none)."""
    listing = output_listing(service, kernel_id, None)
    files = {f.name: f for f in listing.files} if listing is not None else {}
    if METRICS_NAME not in files:
        return {}
    with tempfile.TemporaryDirectory(prefix="kaggle-quota-") as tmp:
        service.download(files[METRICS_NAME], Path(tmp) / METRICS_NAME)
        return load_metrics(tmp)


def kernel_need(service: KaggleService, kernel: KernelFolder, kernel_id: str,
                default_epochs: int) -> KernelNeed | None:
    """The need of one kernel folder, or None when it runs on a CPU (no quota). Its epochs,
    data and time limit come from its baked assignment, else ``default_epochs`` and the
    shape's session less an hour."""
    meta = kernel.metadata()
    if not (meta.get("enable_gpu") or meta.get("enable_tpu")):
        return None
    shape = machine_shape(str(meta.get("machine_shape") or ""))
    assignment = baked_assignment(kernel)
    if isinstance(assignment, InferAssignment):
        return KernelNeed(kernel_id=kernel_id, pool=shape.accelerator, shape=shape.name,
                          epochs=1, seconds_per_epoch=INFER_PUBLIC_S,
                          source="a guess for its public run", limit_hours=shape.session_hours)
    epochs, rows, sample, limit = default_epochs, None, None, shape.session_hours - 1.0
    if isinstance(assignment, TrainAssignment):
        epochs, limit = assignment.config.train.epochs, assignment.choices.time_limit_hours
        rows = assignment.spec.split_rows.get("train")
        sample = assignment.spec.sample_shape
    last = last_epoch_seconds(_last_metrics(service, kernel_id), shape.name)
    if last is not None:
        seconds, source = last, f"its last run on {shape.name}"
    else:
        seconds, source = guess_epoch_seconds(shape, rows, sample)
    return KernelNeed(kernel_id=kernel_id, pool=shape.accelerator, shape=shape.name,
                      epochs=epochs, seconds_per_epoch=seconds, source=source,
                      limit_hours=limit)
