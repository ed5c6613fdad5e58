"""``regression``: a number per image (PetFinder Pawpularity).

Targets are stored as float32. The head is one linear unit followed by a fixed
``outputs * std + mean`` of the training targets, so the network learns standardised values
while the model (and ``model.keras``) predicts in the targets' units; the mean and std are
recorded in ``metrics.json``. MSE loss, RMSE metric; the plot is predicted against true.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from shared.sources.tables import stripped
from shared.tasks.base import Head, Task, parse_numbers, register_task
from shared.metrics import rmse

__all__ = ["RegressionTask"]


@register_task
@dataclass(frozen=True)
class RegressionTask(Task):
    """A value per image."""

    name = "regression"
    stored_as = "value"
    needs_classes = False
    metric = "rmse"
    higher_is_better = False
    monitor = "val_rmse"
    monitors = ("val_rmse", "val_loss")
    label_mode = "float"
    plot_name = "predicted_vs_true.png"

    @classmethod
    def layout_fields(cls, labels: np.ndarray, sample: pd.DataFrame,
                      columns: Sequence[str], label_column: str) -> dict[str, Any]:
        numbers = pd.to_numeric(pd.Series(stripped(labels)), errors="coerce").to_numpy(float)
        bad = np.flatnonzero(~np.isfinite(numbers))
        if len(bad):
            raise ValueError(f"[competition] task = regression, but column {label_column!r} "
                             f"holds {str(stripped(labels)[bad[0]])!r}, not a number: fix the "
                             "labels or choose another task")
        return {"classes": (), "top_k": 0}

    def predicted_counts(self, predicted: np.ndarray) -> None:
        return None

    def head(self, train_targets: np.ndarray) -> Head:
        values = np.asarray(train_targets, np.float64)
        std = float(values.std()) if len(values) else 1.0
        return Head(1, "linear", scale=std if std > 0 else 1.0,
                    offset=float(values.mean()) if len(values) else 0.0)

    def loss(self) -> Any:
        return "mean_squared_error"

    def metrics(self) -> list[Any]:
        import keras

        return [keras.metrics.RootMeanSquaredError(name="rmse")]

    def stratify(self, targets: np.ndarray) -> None:
        return None

    def prior(self, train_targets: np.ndarray) -> np.ndarray:
        return np.array([float(np.mean(train_targets)) if len(train_targets) else 0.0])

    def validation_scores(self, true: np.ndarray, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, float]:
        error = rmse(true, predicted[:, 0])
        return {"val_rmse": error, "val_loss": error * error}

    def submission_values(self, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, Sequence[Any]]:
        return {self.column: predicted[:, 0].astype(np.float64)}

    def check_values(self, frame: pd.DataFrame, where: str) -> None:
        parse_numbers(frame[self.column], where=where, what="values")

    def score(self, submission: pd.DataFrame, solution: pd.DataFrame) -> float:
        return rmse(parse_numbers(solution[self.column], where="solution", what="values"),
                    parse_numbers(submission[self.column], where="submission", what="values"))

    def plot(self, true: np.ndarray, predicted: np.ndarray, calibration: Mapping[str, Any],
             path: Any, title: str) -> Any:
        from shared.reports import plot_predicted_vs_true

        return plot_predicted_vs_true(true, predicted[:, 0], path, title=title)

    def describe(self) -> str:
        return "a number per image (RMSE)"
