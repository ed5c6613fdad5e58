"""``class-probabilities``: one probability column per class (Dog Breed Identification, Leaf
Classification). The sample's columns after the id are the class values, in any order.

Softmax head and sparse cross-entropy; the metric is the multi-class log loss. Each row is
written in float64 and renormalised, so it sums to 1 in the file too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from shared.tasks.base import Task, TaskShapeError, parse_numbers, register_task
from shared.metrics import accuracy, log_loss

__all__ = ["ClassProbabilitiesTask"]

_SUM_TOLERANCE = 1e-6


@register_task
@dataclass(frozen=True)
class ClassProbabilitiesTask(Task):
    """A probability for every class, one column each."""

    name = "class-probabilities"
    value_column_count = "per_class"
    metric = "log_loss"
    higher_is_better = False
    monitor = "val_loss"
    monitors = ("val_loss", "val_accuracy")

    def column_classes(self) -> np.ndarray:
        """The class index of each value column."""
        lookup = {str(c): i for i, c in enumerate(self.classes)}
        missing = [c for c in self.value_columns if c not in lookup]
        if missing or len(self.value_columns) != len(self.classes):
            raise TaskShapeError(
                f"the submission's columns {list(self.value_columns)} are not the classes "
                f"{[str(c) for c in self.classes]}: expected one column per class")
        return np.asarray([lookup[c] for c in self.value_columns], np.int64)

    def check_layout(self) -> None:
        self.column_classes()

    def validation_scores(self, true: np.ndarray, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, float]:
        loss = log_loss(true, predicted)
        return {"val_log_loss": loss, "val_loss": loss,
                "val_accuracy": accuracy(true, predicted.argmax(axis=1))}

    def submission_values(self, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, Sequence[Any]]:
        p = predicted.astype(np.float64)
        p = p / p.sum(axis=1, keepdims=True)
        return {column: p[:, k] for column, k in zip(self.value_columns, self.column_classes())}

    def _probabilities(self, frame: pd.DataFrame, where: str) -> np.ndarray:
        return np.stack([parse_numbers(frame[c], where=where, what=f"values of column {c!r}")
                         for c in self.value_columns], axis=1)

    def check_values(self, frame: pd.DataFrame, where: str) -> None:
        p = self._probabilities(frame, where)
        outside = np.argwhere((p < 0) | (p > 1))
        if len(outside):
            row, col = outside[0]
            raise TaskShapeError(f"{where}: {len(outside)} probabilities outside [0, 1], e.g. "
                                 f"row {int(row)}, column {self.value_columns[col]!r}: "
                                 f"{p[row, col]}")
        sums = p.sum(axis=1)
        off = np.flatnonzero(np.abs(sums - 1) > _SUM_TOLERANCE)
        if len(off):
            raise TaskShapeError(f"{where}: {len(off)} rows do not sum to 1, e.g. row "
                                 f"{int(off[0])} sums to {sums[off[0]]:.8f}")

    def score(self, submission: pd.DataFrame, solution: pd.DataFrame) -> float:
        truth = self._probabilities(solution, "solution")
        predicted = self._probabilities(submission, "submission")
        return log_loss(truth.argmax(axis=1), predicted)  # in the columns' order

    def describe(self) -> str:
        return (f"a probability for each of {len(self.classes)} classes, one column each "
                "(multi-class log loss)")
