"""Which shape of competition this is: the task kind, decided from the labels CSV and
``sample_submission.csv`` before any kernel runs, with the evidence the plan prints.

``[competition] task`` names a kind; otherwise the rules of ``host.planning.task_rules`` guess
it (their docstring lists them in order). The kind's record (``shared.tasks``) then says what
the layout records for it (classes or tags, top-k's k, how targets are stored) and checks the
sample against it. A sample with another shape (more columns than the id and one value, not
named like the classes) is refused with its columns, an example row and the task names to
choose from.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from host.planning.out_of_scope import check_labels_in_scope
from host.planning.task_rules import TaskEvidence, detect_task, unknown_shape
from shared.sources.layout import SourceLayout
from shared.sources.labels import train_labels
from shared.submission import SubmissionError, SubmissionFormat, read_sample
from shared.tasks import task_kind

__all__ = ["TaskDecision", "decide_task"]


@dataclass(frozen=True)
class TaskDecision:
    """The layout with its task resolved, and why."""

    layout: SourceLayout
    evidence: str
    notes: tuple[str, ...] = ()  # what the plan should point out about the guess


def decide_task(layout: SourceLayout, data_dir: str | Path, requested: str = "auto", *,
                metric: str = "auto", positive_class: str = "",
                header_only: bool = False) -> TaskDecision:
    """``layout`` with ``task``, ``classes``, ``value_columns``, ``top_k`` and ``metric``
    decided from the labels and the sample (``requested``, ``metric``, ``positive_class``:
    ``[competition]``'s settings); the sample is then checked against the task (columns,
    rows, ids), all before any kernel runs. ``header_only``: a sample without rows is
    accepted (a code competition's)."""
    data_dir = Path(data_dir)
    where = layout.sample_submission
    sample = read_sample(data_dir / where, allow_empty=header_only)
    columns = [c for c in sample.columns if c != layout.id_column]
    if not columns:
        raise unknown_shape(sample, where, layout.id_column, "it has no column to predict")
    labels = train_labels(layout, data_dir)
    check_labels_in_scope(labels, layout.label_column, layout.train_csv)
    notes: tuple[str, ...] = ()
    if requested == "auto":
        task, evidence, notes = detect_task(TaskEvidence(labels, sample, tuple(columns), where,
                                                         layout.id_column))
    else:
        task, evidence = requested, "[competition] task"
    kind = task_kind(task)
    if kind.value_column_count == "one" and len(columns) != 1:
        raise unknown_shape(sample, where, sample.columns[0],
                            f"a {task} submission has one value column")
    fields = kind.choose(kind.layout_fields(labels, sample, columns, layout.label_column),
                         metric=metric, positive_class=positive_class)
    resolved = dataclasses.replace(layout, task=task, targets=kind.stored_as,
                                   value_columns=tuple(columns), **fields)
    try:
        instance = kind.from_layout(resolved)
        SubmissionFormat(sample=sample, id_column=layout.id_column, task=instance,
                         source=where).check_columns()
        instance.check_layout()
    except (SubmissionError, ValueError) as exc:
        raise ValueError(f"{exc} (task {task}: {evidence})") from None
    return TaskDecision(resolved, evidence, notes)

