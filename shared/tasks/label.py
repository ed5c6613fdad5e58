"""``label``: one class per image, submitted as the class value (Digit Recognizer, Fashion-MNIST).

Softmax head, sparse cross-entropy, accuracy; the confusion matrix is its plot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from shared.tasks.base import Task, register_task
from shared.metrics import accuracy, log_loss

__all__ = ["LabelTask"]


@register_task
@dataclass(frozen=True)
class LabelTask(Task):
    """One class per image, written as its value."""

    name = "label"
    metric = "accuracy"
    higher_is_better = True
    monitor = "val_accuracy"
    monitors = ("val_accuracy", "val_loss")

    def validation_scores(self, true: np.ndarray, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, float]:
        return {"val_accuracy": accuracy(true, predicted.argmax(axis=1)),
                "val_loss": log_loss(true, predicted)}

    def submission_values(self, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, Sequence[Any]]:
        names = np.asarray([str(c) for c in self.classes], dtype=object)
        return {self.column: names[predicted.argmax(axis=1)]}

    def check_values(self, frame: pd.DataFrame, where: str) -> None:
        self.class_index(frame[self.column], where=where)

    def score(self, submission: pd.DataFrame, solution: pd.DataFrame) -> float:
        return accuracy(solution[self.column].astype(str).str.strip().to_numpy(),
                        submission[self.column].astype(str).str.strip().to_numpy())

    def describe(self) -> str:
        return f"one of {len(self.classes)} classes per image, as its value (accuracy)"
