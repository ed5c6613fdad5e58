"""What every task kind provides: the model's head, loss and metrics, how its predictions
become submission values, how they are checked, and the competition's metric.

A task kind is one record, a ``Task`` subclass in a module of its own that registers itself
(``@register_task``): its name, how its targets are stored, its monitors, head, loss, metric,
writer and checks. ``shared.tasks`` imports every module of the package, so a new kind is a new
file. A task is built from the resolved ``SourceLayout`` (``Task.from_layout``).

Predictions are the model's outputs: probabilities ``(n, K)`` (softmax kinds), ``(n, 1)`` or
``(n, K)`` (sigmoid kinds), or values ``(n, 1)`` (regression). Keras is imported only where a
model is compiled, so the planner can use tasks without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Sequence

import numpy as np
import pandas as pd

from shared.registry import Registry
from shared.sources.tables import classes_of

__all__ = ["Head", "Task", "TaskShapeError", "TASK_KINDS", "register_task", "parse_numbers",
           "examples"]

TASK_KINDS: Registry[type["Task"]] = Registry("task kind", "[competition] task")


def examples(values: Sequence[Any], limit: int = 3) -> str:
    """``'a', 'b', 'c' and 4 more``."""
    values = [v.item() if isinstance(v, np.generic) else v for v in values]
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


class TaskShapeError(ValueError):
    """A submission (or the competition's sample) does not have the task's shape."""


@dataclass(frozen=True)
class Head:
    """The model's last layers: ``units`` outputs, ``activation`` (softmax, sigmoid or linear),
    then ``outputs * scale + offset`` (regression: back to the targets' units)."""

    units: int
    activation: str
    scale: float = 1.0
    offset: float = 0.0


def parse_numbers(values: pd.Series, *, where: str, what: str) -> np.ndarray:
    """Text cells as float64; TaskShapeError naming the first cell that is not a number."""
    numbers = pd.to_numeric(values.astype(str).str.strip(), errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~np.isfinite(numbers))
    if len(bad):
        raise TaskShapeError(f"{where}: {len(bad)} {what} are not numbers, e.g. row "
                             f"{int(bad[0])}: {str(values.iloc[bad[0]])!r}")
    return numbers


@dataclass(frozen=True)
class Task:
    """One shape of competition (see the module docstring); subclasses set the class names."""

    name: ClassVar[str]
    stored_as: ClassVar[str] = "class"  # the shards' targets: class, multi_hot or value
    needs_classes: ClassVar[bool] = True  # predictions map to classes (not regression)
    value_column_count: ClassVar[str] = "one"  # the sample's value columns: one, or per_class
    metric: ClassVar[str]  # the competition's metric, as reported: "accuracy", "auc", ...
    higher_is_better: ClassVar[bool]
    monitor: ClassVar[str]  # the default of [train] monitor
    monitors: ClassVar[tuple[str, ...]]  # the values [train] monitor may take
    label_mode: ClassVar[str] = "sparse"  # how ShardedSequence hands targets to Keras
    plot_name: ClassVar[str] = "confusion_matrix.png"  # the task's own report

    metric_choices: ClassVar[tuple[str, ...]] = ()  # what [competition] metric may name

    classes: tuple[Any, ...] = ()
    value_columns: tuple[str, ...] = ()
    top_k: int = 0
    scored_by: str = ""  # [competition] metric as the plan resolved it; "" = ``metric``

    @classmethod
    def layout_fields(cls, labels: np.ndarray, sample: pd.DataFrame,
                      columns: Sequence[str], label_column: str) -> dict[str, Any]:
        """What the plan's layout records for this kind, from the train labels (text) and the
        sample submission's value ``columns``: the ``classes`` (or tags), ``top_k``. ValueError
        when the labels do not fit the kind."""
        return {"classes": classes_of(labels), "top_k": 0}

    @classmethod
    def choose(cls, fields: dict[str, Any], *, metric: str = "auto",
               positive_class: str = "") -> dict[str, Any]:
        """``fields`` (``layout_fields``) with what ``[competition] metric`` and
        ``positive_class`` ask for; ValueError when this kind offers no such choice."""
        offered = cls.metric_choices or (cls.metric,)
        if metric not in ("auto", *offered):
            raise ValueError(f"[competition] metric = {metric!r}: a {cls.name} task is scored "
                             f"by {' or '.join(offered)}; set one of those, or \"auto\"")
        if positive_class:
            raise ValueError(f"[competition] positive_class = {positive_class!r}: a {cls.name} "
                             "task has no positive class (binary-probability has); leave it "
                             "empty")
        chosen = metric if metric != "auto" and metric != offered[0] else ""
        return {**fields, "metric": chosen}

    def check_layout(self) -> None:
        """TaskShapeError when the planned layout cannot be written (e.g. columns that are not
        the classes); the planner calls it before any kernel runs."""

    @classmethod
    def from_layout(cls, layout) -> "Task":
        """The task of a resolved layout (one written before tasks existed: its label
        column)."""
        columns = tuple(layout.value_columns) or (layout.submission_label_column,)
        return cls(classes=tuple(layout.classes), value_columns=columns, top_k=layout.top_k,
                   scored_by=getattr(layout, "metric", ""))

    # -- the model -------------------------------------------------------------------------
    def head(self, train_targets: np.ndarray) -> Head:
        """The output layer for this task (regression scales by the train targets)."""
        return Head(len(self.classes), "softmax")

    def loss(self) -> Any:
        return "sparse_categorical_crossentropy"

    def metrics(self) -> list[Any]:
        return ["accuracy"]

    def stratify(self, targets: np.ndarray) -> np.ndarray | None:
        """Labels to stratify the hold-out by (None: a random hold-out)."""
        return np.asarray(targets, np.int64)

    # -- after training --------------------------------------------------------------------
    def prior(self, train_targets: np.ndarray) -> np.ndarray:
        """The prediction for a row without an image: the training set's class frequencies."""
        counts = np.bincount(np.asarray(train_targets, np.int64), minlength=len(self.classes))
        return counts / max(counts.sum(), 1)

    def predicted_counts(self, predicted: np.ndarray) -> list[int] | None:
        """How often each class is the most likely one in ``predicted`` (for metrics.json);
        None where that means nothing (one probability, tags, values)."""
        return np.bincount(predicted.argmax(axis=1), minlength=len(self.classes)).tolist()

    def calibrate(self, true: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
        """Settings chosen on the validation rows (multi-label: the threshold)."""
        return {}

    def validation_scores(self, true: np.ndarray, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, float]:
        """``val_<metric>`` of the model's predictions for the held-out rows, and others."""
        raise NotImplementedError

    def submission_values(self, predicted: np.ndarray,
                          calibration: Mapping[str, Any]) -> dict[str, Sequence[Any]]:
        """The submission's value columns for these predictions."""
        raise NotImplementedError

    def check_values(self, frame: pd.DataFrame, where: str) -> None:
        """TaskShapeError unless the value columns hold what the task writes."""
        raise NotImplementedError

    def score(self, submission: pd.DataFrame, solution: pd.DataFrame) -> float:
        """The competition's metric of ``submission`` against ``solution`` (text frames with
        the sample's columns, rows aligned by id)."""
        raise NotImplementedError

    def plot(self, true: np.ndarray, predicted: np.ndarray, calibration: Mapping[str, Any],
             path: Any, title: str) -> Any:
        """The task's report on the validation rows (``plot_name``): a confusion matrix."""
        from shared.reports import confusion_matrix, plot_confusion_matrix

        matrix = confusion_matrix(true, predicted.argmax(axis=1), len(self.classes))
        return plot_confusion_matrix(matrix, self.classes, path, title=title)

    def describe(self) -> str:
        """One line for the plan: what is written."""
        return self.name

    # -- helpers for subclasses ------------------------------------------------------------
    @property
    def column(self) -> str:
        """The one value column (every kind but class-probabilities has one)."""
        return self.value_columns[0]

    def class_index(self, values: pd.Series, *, where: str) -> np.ndarray:
        """Text class values as indices into ``classes``, matched as written (but for spaces
        around them); TaskShapeError for unknown ones."""
        lookup = {str(c): i for i, c in enumerate(self.classes)}
        text = values.astype(str).str.strip()
        index = text.map(lookup)
        unknown = index.isna().to_numpy()  # by text: "008" is not class 8
        if unknown.any():
            raise TaskShapeError(
                f"{where} has labels that are not the competition's classes: "
                f"{examples(sorted(set(text[unknown])))} ({int(unknown.sum())} rows); expected "
                f"one of {examples([str(c) for c in self.classes], 12)}")
        return index.to_numpy(np.int64)


def register_task(cls: type[Task]) -> type[Task]:
    """Class decorator: register a task kind under its ``name``."""
    return TASK_KINDS.add(cls.name, cls)
