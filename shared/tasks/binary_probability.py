"""``binary-probability``: two classes, submitted as P(positive) (Aerial Cactus, Dogs vs. Cats).

The positive class is the larger of the two values (``1``, ``true``, ``yes``): the second of
the sorted classes. One sigmoid unit, binary cross-entropy, ROC AUC; the ROC curve is its plot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from shared.tasks.base import Head, Task, TaskShapeError, examples, parse_numbers, register_task
from shared.metrics import binary_log_loss, roc_auc

__all__ = ["BinaryProbabilityTask"]


@register_task
@dataclass(frozen=True)
class BinaryProbabilityTask(Task):
    """P(positive class) per image."""

    name = "binary-probability"
    metric = "auc"  # ROC AUC
    higher_is_better = True
    monitor = "val_auc"
    monitors = ("val_auc", "val_loss", "val_accuracy")
    label_mode = "float"
    plot_name = "roc_curve.png"

    @classmethod
    def layout_fields(cls, labels: np.ndarray, sample: pd.DataFrame,
                      columns: Sequence[str], label_column: str) -> dict[str, Any]:
        fields = super().layout_fields(labels, sample, columns, label_column)
        if len(fields["classes"]) != 2:
            raise ValueError(f"[competition] task = binary-probability needs 2 classes; column "
                             f"{label_column!r} has {len(fields['classes'])}: "
                             f"{examples(list(fields['classes']), 6)}")
        return fields

    @property
    def positive(self) -> Any:
        return self.classes[1]

    def head(self, train_targets: np.ndarray) -> Head:
        return Head(1, "sigmoid")

    def loss(self) -> Any:
        return "binary_crossentropy"

    def metrics(self) -> list[Any]:
        import keras

        return [keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="accuracy")]

    def predicted_counts(self, predicted: np.ndarray) -> None:
        return None

    def prior(self, train_targets: np.ndarray) -> np.ndarray:
        return np.array([float(np.mean(train_targets))]) if len(train_targets) else np.array([.5])

    def validation_scores(self, true: np.ndarray, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, float]:
        p, y = predicted[:, 0], np.asarray(true)
        return {"val_auc": roc_auc(y, p), "val_loss": binary_log_loss(y, p),
                "val_accuracy": float(np.mean((p >= 0.5) == (y == 1)))}

    def submission_values(self, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, Sequence[Any]]:
        return {self.column: predicted[:, 0].astype(np.float64)}

    def check_values(self, frame: pd.DataFrame, where: str) -> None:
        p = parse_numbers(frame[self.column], where=where, what="probabilities")
        outside = np.flatnonzero((p < 0) | (p > 1))
        if len(outside):
            raise TaskShapeError(f"{where}: {len(outside)} probabilities outside [0, 1], e.g. "
                                 f"row {int(outside[0])}: {p[outside[0]]}")

    def score(self, submission: pd.DataFrame, solution: pd.DataFrame) -> float:
        true = self.class_index(solution[self.column], where="solution") == 1
        return roc_auc(true, parse_numbers(submission[self.column], where="submission",
                                           what="probabilities"))

    def plot(self, true: np.ndarray, predicted: np.ndarray, calibration: Mapping[str, Any],
             path: Any, title: str) -> Any:
        from shared.reports import plot_roc_curve

        return plot_roc_curve(true, predicted[:, 0], path, title=title,
                              positive=str(self.positive))

    def describe(self) -> str:
        return f"P({self.positive!r}) per image, of classes {list(self.classes)} (ROC AUC)"
