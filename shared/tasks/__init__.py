"""Task kinds: every shape of image competition, each with its head, loss, metric and writer.

One module per kind defines its ``Task`` subclass and registers it (``@register_task``); this
package imports every module in it, so adding a kind is adding a file. ``task_kind(name)``
gives a kind's class, ``task_for(layout)`` the task of a resolved ``SourceLayout``, and
``task_names()`` every registered name.
"""

from __future__ import annotations

from shared.registry import import_submodules
from shared.tasks.base import TASK_KINDS, Head, Task, TaskShapeError, register_task

__all__ = ["Head", "Task", "TaskShapeError", "TASK_KINDS", "register_task", "task_kind",
           "task_names", "task_for", "default_task", "monitor_mode", "resolve_monitor"]

import_submodules(__name__)


def task_kind(name: str) -> type[Task]:
    """The registered kind ``name``; ValueError listing the known kinds otherwise."""
    return TASK_KINDS.get(name)


def task_names() -> tuple[str, ...]:
    """Every registered task kind, in registration order."""
    return TASK_KINDS.names()


def task_for(layout) -> Task:
    """The task of a resolved ``SourceLayout`` (its ``task``, classes and value columns)."""
    return task_kind(layout.task).from_layout(layout)


def default_task(classes: tuple = (), value_column: str = "label") -> Task:
    """One class per image (``label``): what data without a task kind means (release 0.1)."""
    return task_kind("label")(classes=tuple(classes), value_columns=(value_column,))


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
