"""``multi-label``: space-separated tags per image (Planet: Understanding the Amazon from
Space, Human Protein Atlas).

Multi-hot targets, one sigmoid unit per tag, binary cross-entropy. After training, the
threshold that maximises the mean per-image F1 on the validation rows is chosen (recorded in
``metrics.json``); an image gets every tag at or above it, and at least its most likely one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from shared.sources.targets import tag_list
from shared.tasks.base import Head, Task, TaskShapeError, register_task
from shared.metrics import binary_log_loss, mean_f1

__all__ = ["MultiLabelTask", "tag_sets"]

_THRESHOLDS = np.round(np.arange(0.05, 0.951, 0.01), 2)
_DEFAULT_THRESHOLD = 0.5


def tag_sets(probabilities: np.ndarray, threshold: float) -> np.ndarray:
    """Multi-hot predictions: every tag at or above ``threshold``, and each row's best one."""
    chosen = probabilities >= threshold
    chosen[np.arange(len(probabilities)), probabilities.argmax(axis=1)] = True
    return chosen


def _tokens(values: pd.Series) -> list[list[str]]:
    return [str(v).split() for v in values]


@register_task
@dataclass(frozen=True)
class MultiLabelTask(Task):
    """Every tag that applies, space-separated."""

    name = "multi-label"
    stored_as = "multi_hot"
    metric = "mean_f1"
    higher_is_better = True
    monitor = "val_loss"
    monitors = ("val_loss", "val_accuracy")
    label_mode = "float"
    plot_name = "tag_f1.png"

    @classmethod
    def layout_fields(cls, labels: np.ndarray, sample: pd.DataFrame,
                      columns: Sequence[str], label_column: str) -> dict[str, Any]:
        return {"classes": tag_list(labels), "top_k": 0}

    def head(self, train_targets: np.ndarray) -> Head:
        return Head(len(self.classes), "sigmoid")

    def loss(self) -> Any:
        return "binary_crossentropy"

    def metrics(self) -> list[Any]:
        import keras

        return [keras.metrics.BinaryAccuracy(name="accuracy")]

    def stratify(self, targets: np.ndarray) -> np.ndarray:
        """Each row by its rarest tag (rows without a tag form a group of their own)."""
        targets = np.asarray(targets, bool)
        frequency = targets.sum(axis=0)
        rank = np.where(targets, frequency[None, :], np.iinfo(np.int64).max)
        return np.where(targets.any(axis=1), rank.argmin(axis=1), len(self.classes))

    def predicted_counts(self, predicted: np.ndarray) -> None:
        return None

    def prior(self, train_targets: np.ndarray) -> np.ndarray:
        return np.asarray(train_targets, np.float64).mean(axis=0)

    def calibrate(self, true: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
        if not len(true):
            return {"threshold": _DEFAULT_THRESHOLD, "threshold_from": "default (no validation)"}
        scores = [mean_f1(true, tag_sets(predicted, t)) for t in _THRESHOLDS]
        best = int(np.argmax(scores))
        return {"threshold": float(_THRESHOLDS[best]), "threshold_from": "validation mean F1"}

    def validation_scores(self, true: np.ndarray, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, float]:
        chosen = tag_sets(predicted, calibration.get("threshold", _DEFAULT_THRESHOLD))
        return {"val_mean_f1": mean_f1(true, chosen),
                "val_mean_f1_at_0.5": mean_f1(true, tag_sets(predicted, 0.5)),
                "val_loss": binary_log_loss(true, predicted)}

    def submission_values(self, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, Sequence[Any]]:
        chosen = tag_sets(predicted, calibration.get("threshold", _DEFAULT_THRESHOLD))
        names = [str(t) for t in self.classes]
        return {self.column: np.asarray([" ".join(names[k] for k in np.flatnonzero(row))
                                         for row in chosen], dtype=object)}

    def check_values(self, frame: pd.DataFrame, where: str) -> None:
        known = {str(t) for t in self.classes}
        rows = _tokens(frame[self.column])
        empty = [i for i, tags in enumerate(rows) if not tags]
        if empty:
            raise TaskShapeError(f"{where}: {len(empty)} rows have no tag, e.g. row {empty[0]}")
        bad = [(i, t) for i, tags in enumerate(rows) for t in tags if t not in known]
        if bad:
            raise TaskShapeError(f"{where}: tag {bad[0][1]!r} (row {bad[0][0]}) is not one of "
                                 f"the {len(known)} tags {sorted(known)[:12]}")

    def score(self, submission: pd.DataFrame, solution: pd.DataFrame) -> float:
        true, predicted = _tokens(solution[self.column]), _tokens(submission[self.column])
        vocabulary = {t: k for k, t in enumerate(sorted({t for r in true + predicted
                                                         for t in r}))}
        hot = np.zeros((2, len(true), max(len(vocabulary), 1)), bool)
        for which, rows in enumerate((true, predicted)):
            for i, tags in enumerate(rows):
                hot[which, i, [vocabulary[t] for t in tags]] = True
        return mean_f1(hot[0], hot[1])

    def plot(self, true: np.ndarray, predicted: np.ndarray, calibration: Mapping[str, Any],
             path: Any, title: str) -> Any:
        from shared.reports import plot_tag_f1

        chosen = tag_sets(predicted, calibration.get("threshold", _DEFAULT_THRESHOLD))
        true = np.asarray(true, bool)
        hits = (true & chosen).sum(axis=0)
        sizes = true.sum(axis=0) + chosen.sum(axis=0)
        f1 = np.where(sizes > 0, 2 * hits / np.maximum(sizes, 1), np.nan)
        return plot_tag_f1([str(t) for t in self.classes], f1, true.sum(axis=0), path,
                           title=title)

    def describe(self) -> str:
        return (f"the tags of {len(self.classes)} that apply, space-separated "
                "(mean per-image F1; threshold chosen on validation)")
