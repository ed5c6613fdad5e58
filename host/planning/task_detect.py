"""Which shape of competition this is: the task kind, decided from the labels CSV and
``sample_submission.csv`` before any kernel runs, with the evidence the plan prints.

In order (``[competition] task`` names one and skips the guessing):

1. several value columns in the sample, named like the classes: ``class-probabilities``;
2. space-separated labels whose tokens recur in different combinations, far fewer tokens
   than distinct labels: ``multi-label`` (class names with a space, such as ``Ankle boot``,
   have about as many tokens as labels, so they stay classes);
3. sample values of k >= 2 space-separated labels: ``top-k``;
4. two classes and a sample holding probabilities (non-integer numbers such as ``0.5``):
   ``binary-probability``;
5. numeric labels that are not all integers, or integers on a dense numeric scale (over 30
   values covering at least half the range between the smallest and the largest), or any
   numeric labels when the sample holds non-integer numbers: ``regression``;
6. otherwise ``label``.

A sample with another shape (more columns than the id and one value, not named like the
classes) is refused with its columns, an example row and the task names to choose from.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from shared.sources.layout import SourceLayout
from shared.sources.tables import classes_of, read_columns, stripped
from shared.submission import SubmissionError, SubmissionFormat, read_sample
from shared.tasks import task_kind, task_names
from shared.tasks.base import examples
from shared.tasks.top_k import labels_per_row

__all__ = ["TaskDecision", "decide_task"]

_SCALE_MIN_VALUES = 30
_SCALE_MIN_COVERAGE = 0.5


@dataclass(frozen=True)
class TaskDecision:
    """The layout with its task resolved, and why."""

    layout: SourceLayout
    evidence: str


def _numbers(values: np.ndarray) -> np.ndarray | None:
    """Float values if every one is a number, else None."""
    numbers = pd.to_numeric(pd.Series(stripped(values)), errors="coerce").to_numpy(np.float64)
    return numbers if len(numbers) and np.isfinite(numbers).all() else None


def _multi_label(labels: np.ndarray) -> str:
    """Evidence that ``labels`` are tag sets, or ""."""
    strings = sorted(set(stripped(labels)))
    combined = [s for s in strings if len(s.split()) > 1]
    tokens = {t for s in strings for t in s.split()}
    if combined and len(tokens) < len(strings):
        return (f"labels are space-separated tags: {len(tokens)} tags in {len(strings)} "
                f"combinations, e.g. {examples(combined)}")
    return ""


def _scale(numbers: np.ndarray) -> str:
    """Evidence that numeric labels are a regression target, or ""."""
    distinct = np.unique(numbers)
    if (distinct != np.round(distinct)).any():
        fractional = distinct[distinct != np.round(distinct)]
        return (f"labels are numbers with fractions ({len(distinct)} distinct values, e.g. "
                f"{examples([f'{v:g}' for v in fractional])})")
    span = distinct[-1] - distinct[0] + 1
    if len(distinct) > _SCALE_MIN_VALUES and len(distinct) / span >= _SCALE_MIN_COVERAGE:
        return (f"labels are integers on a numeric scale: {len(distinct)} distinct values "
                f"cover {len(distinct) / span:.0%} of {distinct[0]:g}..{distinct[-1]:g}")
    return ""


def _unknown_shape(sample: pd.DataFrame, where: str, id_column: str, detail: str) -> ValueError:
    row = ", ".join(f"{c}={v!r}" for c, v in sample.iloc[0].items())
    return ValueError(
        f"{where} has columns {list(sample.columns)} (e.g. row 0: {row}): {detail}. The "
        f"pipeline writes the id column {id_column!r} plus one value column, or one probability "
        f"column per class. Set [competition] task to one of {', '.join(task_names())} if one "
        "fits; "
        "otherwise this submission format is not supported")


def _auto(labels: np.ndarray, sample: pd.DataFrame, columns: list[str], where: str,
          id_column: str) -> tuple[str, str]:
    classes = [str(c) for c in classes_of(labels)]
    if len(columns) > 1:
        if sorted(columns) == sorted(classes):
            return "class-probabilities", (f"{where} has one column per class ({len(columns)} "
                                           "columns named like the labels)")
        raise _unknown_shape(sample, where, id_column,
                             f"its columns after the id are not the {len(classes)} classes "
                             f"{examples(classes)}")
    values = sample[columns[0]].astype(str).tolist()
    evidence = _multi_label(labels)
    if evidence:
        return "multi-label", evidence
    k = labels_per_row(sample[columns[0]])
    if k >= 2:
        return "top-k", f"{where} holds {k} space-separated labels per id, e.g. {values[0]!r}"
    sample_numbers = _numbers(values)
    fractional = sample_numbers is not None and (sample_numbers != np.round(sample_numbers)).any()
    if len(classes) == 2 and fractional and ((sample_numbers >= 0) & (sample_numbers <= 1)).all():
        return "binary-probability", (f"2 classes and {where} holds probabilities, e.g. "
                                      f"{values[0]!r}")
    numbers = _numbers(labels)
    if numbers is not None:
        evidence = _scale(numbers)
        if not evidence and fractional and len(np.unique(numbers)) > 2:
            evidence = (f"labels are numbers and {where} holds non-integer values, e.g. "
                        f"{values[0]!r}")
        if evidence:
            return "regression", evidence
    return "label", f"{len(classes)} classes, one per image ({where} holds a label per id)"


def decide_task(layout: SourceLayout, data_dir: str | Path, requested: str = "auto"
                ) -> TaskDecision:
    """``layout`` with ``task``, ``classes``, ``value_columns`` and ``top_k`` decided from
    the labels and the sample (``requested``: ``[competition] task``); the sample is then
    checked against the task (columns, rows, ids), all before any kernel runs."""
    data_dir = Path(data_dir)
    where = layout.sample_submission
    sample = read_sample(data_dir / where)
    columns = [c for c in sample.columns if c != layout.id_column]
    if not columns:
        raise _unknown_shape(sample, where, layout.id_column, "it has no column to predict")
    labels = read_columns(data_dir / layout.train_csv, [layout.label_column])[
        layout.label_column]
    if requested == "auto":
        task, evidence = _auto(labels, sample, columns, where, layout.id_column)
    else:
        task, evidence = requested, "[competition] task"
    kind = task_kind(task)
    if kind.value_column_count == "one" and len(columns) != 1:
        raise _unknown_shape(sample, where, sample.columns[0],
                             f"a {task} submission has one value column")
    fields = kind.layout_fields(labels, sample, columns, layout.label_column)
    resolved = dataclasses.replace(layout, task=task, targets=kind.stored_as,
                                   value_columns=tuple(columns), **fields)
    try:
        instance = kind.from_layout(resolved)
        SubmissionFormat(sample=sample, id_column=layout.id_column, task=instance,
                         source=where).check_columns()
        instance.check_layout()
    except (SubmissionError, ValueError) as exc:
        raise ValueError(f"{exc} (task {task}: {evidence})") from None
    return TaskDecision(resolved, evidence)

