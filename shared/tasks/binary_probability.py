"""``binary-probability``: two classes, submitted as P(positive) (Aerial Cactus, Dogs vs. Cats).

The positive class is the larger of the two values (``1``, ``true``, ``yes``, ``dog`` of
``cat``/``dog``), or the one ``[competition] positive_class`` names; the layout lists the
negative class first and the positive one second, so a stored target is 1 for the positive
class. One sigmoid unit, binary cross-entropy; the ROC curve is its plot.

The metric is ROC AUC, or log loss (``[competition] metric = "log_loss"``, Dogs vs. Cats
Redux). Log loss punishes a confident mistake without bound, so the submission's
probabilities are then clipped to ``[clip, 1 - clip]``, ``clip`` chosen on the validation rows
(recorded in ``metrics.json``); AUC, which only ranks, is left unclipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from shared.tasks.base import Head, Task, TaskShapeError, examples, parse_numbers, register_task
from shared.metrics import binary_log_loss, roc_auc

__all__ = ["BinaryProbabilityTask", "CLIPS", "DEFAULT_CLIP"]

CLIPS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05)  # log loss: clips tried on validation
DEFAULT_CLIP = 0.005  # log loss without validation rows
_KAGGLE_EPS = 1e-15  # what Kaggle's log loss clips at


@register_task
@dataclass(frozen=True)
class BinaryProbabilityTask(Task):
    """P(positive class) per image."""

    name = "binary-probability"
    metric_choices = ("auc", "log_loss")
    monitors = ("val_auc", "val_loss", "val_accuracy")
    label_mode = "float"
    plot_name = "roc_curve.png"

    @property
    def metric(self) -> str:  # type: ignore[override]
        return self.scored_by or "auc"

    @property
    def higher_is_better(self) -> bool:  # type: ignore[override]
        return self.metric == "auc"

    @property
    def monitor(self) -> str:  # type: ignore[override]
        return "val_auc" if self.metric == "auc" else "val_loss"

    @classmethod
    def layout_fields(cls, labels: np.ndarray, sample: pd.DataFrame,
                      columns: Sequence[str], label_column: str) -> dict[str, Any]:
        fields = super().layout_fields(labels, sample, columns, label_column)
        if len(fields["classes"]) != 2:
            raise ValueError(f"[competition] task = binary-probability needs 2 classes; column "
                             f"{label_column!r} has {len(fields['classes'])}: "
                             f"{examples(list(fields['classes']), 6)}")
        return fields

    @classmethod
    def choose(cls, fields: dict[str, Any], *, metric: str = "auto",
               positive_class: str = "") -> dict[str, Any]:
        """The metric, and the classes ordered negative, positive (the larger by default)."""
        fields = super().choose(fields, metric=metric)
        if not positive_class:
            return fields
        classes = list(fields["classes"])
        text = [str(c) for c in classes]
        if positive_class not in text:
            raise ValueError(f"[competition] positive_class = {positive_class!r} is not one of "
                             f"the two classes {examples(text)}: name one of them (empty: the "
                             f"larger, {text[1]!r})")
        positive = classes[text.index(positive_class)]
        return {**fields, "classes": (next(c for c in classes if c != positive), positive)}

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

    def calibrate(self, true: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
        """Log loss: the clip that scores best on the validation rows."""
        if self.metric != "log_loss":
            return {}
        if not len(true):
            return {"clip": DEFAULT_CLIP, "clip_from": "default (no validation)"}
        losses = [binary_log_loss(true, np.clip(predicted[:, 0], c, 1 - c), _KAGGLE_EPS)
                  for c in CLIPS]
        return {"clip": CLIPS[int(np.argmin(losses))], "clip_from": "validation log loss"}

    def _clipped(self, p: np.ndarray, calibration: Mapping[str, Any]) -> np.ndarray:
        if self.metric != "log_loss":
            return p
        clip = float(calibration.get("clip", DEFAULT_CLIP))
        return np.clip(p, clip, 1 - clip)

    def validation_scores(self, true: np.ndarray, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, float]:
        p, y = predicted[:, 0], np.asarray(true)
        scores = {"val_auc": roc_auc(y, p), "val_loss": binary_log_loss(y, p),
                  "val_accuracy": float(np.mean((p >= 0.5) == (y == 1)))}
        if self.metric == "log_loss":
            scores["val_log_loss"] = binary_log_loss(y, self._clipped(p, calibration),
                                                     _KAGGLE_EPS)
        return scores

    def submission_values(self, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, Sequence[Any]]:
        return {self.column: self._clipped(predicted[:, 0].astype(np.float64), calibration)}

    def check_values(self, frame: pd.DataFrame, where: str) -> None:
        p = parse_numbers(frame[self.column], where=where, what="probabilities")
        outside = np.flatnonzero((p < 0) | (p > 1))
        if len(outside):
            raise TaskShapeError(f"{where}: {len(outside)} probabilities outside [0, 1], e.g. "
                                 f"row {int(outside[0])}: {p[outside[0]]}")

    def score(self, submission: pd.DataFrame, solution: pd.DataFrame) -> float:
        true = self.class_index(solution[self.column], where="solution") == 1
        p = parse_numbers(submission[self.column], where="submission", what="probabilities")
        if self.metric == "log_loss":
            return binary_log_loss(true, p, _KAGGLE_EPS)
        return roc_auc(true, p)

    def plot(self, true: np.ndarray, predicted: np.ndarray, calibration: Mapping[str, Any],
             path: Any, title: str) -> Any:
        from shared.reports import plot_roc_curve

        return plot_roc_curve(true, predicted[:, 0], path, title=title,
                              positive=str(self.positive))

    def describe(self) -> str:
        scored = ("log loss; probabilities clipped, the clip chosen on the validation rows"
                  if self.metric == "log_loss" else
                  'ROC AUC; [competition] metric = "log_loss" if it is scored by log loss')
        return (f"P({self.positive!r}) per image, of classes {list(self.classes)} (the "
                f"positive class is {self.positive!r}: [competition] positive_class names the "
                f"other; {scored})")
