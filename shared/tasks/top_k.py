"""``top-k``: the k most likely classes per image, space-separated, best first (Humpback
Whale Identification: MAP@5). ``k`` is the number of labels in the sample's values.

Softmax head and sparse cross-entropy, with top-k accuracy beside accuracy; MAP@k is the
competition's metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from shared.tasks.base import Task, TaskShapeError, register_task
from shared.metrics import accuracy, log_loss, map_at_k, top_k_indices

__all__ = ["TopKTask", "labels_per_row"]


def labels_per_row(values: pd.Series) -> int:
    """The most common number of space-separated labels in the sample's values (0: none)."""
    counts = pd.Series([len(str(v).split()) for v in values], dtype="int64")
    return int(counts.mode().iloc[0]) if len(counts) else 0


@register_task
@dataclass(frozen=True)
class TopKTask(Task):
    """The ``top_k`` most likely classes, best first."""

    name = "top-k"
    metric = "map_at_k"
    higher_is_better = True
    monitor = "val_loss"
    monitors = ("val_loss", "val_accuracy", "val_top_k_accuracy")

    @classmethod
    def layout_fields(cls, labels: np.ndarray, sample: pd.DataFrame,
                      columns: Sequence[str], label_column: str) -> dict[str, Any]:
        fields = super().layout_fields(labels, sample, columns, label_column)
        k = labels_per_row(sample[columns[0]])
        if k < 1:
            raise ValueError("[competition] task = top-k takes k, the labels per submission "
                             "row, from the sample's values, and the sample has no rows: "
                             "add one placeholder row holding k labels")
        return {**fields, "top_k": k}

    def check_layout(self) -> None:
        spaced = [c for c in self.classes if len(str(c).split()) != 1]
        if spaced:
            raise TaskShapeError(
                f"a top-k submission separates its {self.top_k} labels by spaces, but class "
                f"{str(spaced[0])!r} holds a space ({len(spaced)} classes do): its words would "
                "read as separate labels. Set [competition] task = \"label\" if each row wants "
                "one class")

    @property
    def k(self) -> int:
        return min(self.top_k, len(self.classes))

    def metrics(self) -> list[Any]:
        import keras

        return ["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(
            k=self.k, name="top_k_accuracy")]

    def validation_scores(self, true: np.ndarray, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, float]:
        return {"val_map_at_k": map_at_k(true, top_k_indices(predicted, self.k), self.k),
                "val_accuracy": accuracy(true, predicted.argmax(axis=1)),
                "val_loss": log_loss(true, predicted)}

    def submission_values(self, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, Sequence[Any]]:
        names = [str(c) for c in self.classes]
        ranked = top_k_indices(predicted, self.k)
        return {self.column: np.asarray([" ".join(names[i] for i in row) for row in ranked],
                                        dtype=object)}

    def check_values(self, frame: pd.DataFrame, where: str) -> None:
        known = {str(c) for c in self.classes}
        for i, value in enumerate(frame[self.column].astype(str)):
            labels = value.split()
            if len(labels) != self.k or len(set(labels)) != self.k or not set(labels) <= known:
                raise TaskShapeError(
                    f"{where}: row {i} holds {value!r}; expected {self.k} different classes, "
                    f"space-separated, best first (classes such as "
                    f"{sorted(known)[:5]})")

    def score(self, submission: pd.DataFrame, solution: pd.DataFrame) -> float:
        true = solution[self.column].astype(str).str.split().str[0].to_numpy()
        ranked = [v.split()[:self.k] for v in submission[self.column].astype(str)]
        ranked = np.asarray([r + [""] * (self.k - len(r)) for r in ranked], dtype=object)
        return map_at_k(true, ranked, self.k)

    def describe(self) -> str:
        return (f"the {self.k} most likely of {len(self.classes)} classes, space-separated, "
                f"best first (MAP@{self.k})")
