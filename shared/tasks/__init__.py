"""Task kinds: every shape of image competition, each with its head, loss, metric and writer.

``task_for(layout)`` gives the task of a resolved ``SourceLayout``; ``TASK_CLASSES`` maps each
name of ``shared.sources.layout.TASKS`` to its implementation.
"""

from __future__ import annotations

from shared.tasks.base import Head, Task, TaskShapeError
from shared.tasks.binary_probability import BinaryProbabilityTask
from shared.tasks.class_probabilities import ClassProbabilitiesTask
from shared.tasks.label import LabelTask
from shared.tasks.multi_label import MultiLabelTask
from shared.tasks.regression import RegressionTask
from shared.tasks.top_k import TopKTask

__all__ = ["Head", "Task", "TaskShapeError", "TASK_CLASSES", "task_for", "monitor_mode",
           "resolve_monitor", "LabelTask", "BinaryProbabilityTask", "ClassProbabilitiesTask",
           "MultiLabelTask", "RegressionTask", "TopKTask"]

TASK_CLASSES: dict[str, type[Task]] = {cls.name: cls for cls in (
    LabelTask, BinaryProbabilityTask, ClassProbabilitiesTask, MultiLabelTask, RegressionTask,
    TopKTask)}


def task_for(layout) -> Task:
    """The task of a resolved ``SourceLayout`` (its ``task``, classes and value columns)."""
    cls = TASK_CLASSES.get(layout.task)
    if cls is None:
        raise ValueError(f"task {layout.task!r}: expected one of {', '.join(TASK_CLASSES)}")
    return cls.from_layout(layout)


def monitor_mode(monitor: str) -> str:
    """``max`` for accuracies and AUC, ``min`` for losses and errors."""
    return "max" if monitor.endswith(("accuracy", "auc", "f1")) else "min"


def resolve_monitor(monitor: str, task: Task) -> str:
    """``[train] monitor``: ``auto`` means the task's own; others must be one it reports."""
    if monitor == "auto":
        return task.monitor
    if monitor not in task.monitors:
        raise ValueError(f"[train] monitor = {monitor!r}: a {task.name} task reports "
                         f"{', '.join(task.monitors)}; choose one of those, or auto "
                         f"({task.monitor})")
    return monitor
