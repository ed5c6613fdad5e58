"""``submission.csv``: predictions mapped back to the competition's ids, in its task's shape.

The competition's ``sample_submission.csv`` is the template: the submission keeps its
columns, its id values (read as text, so ``007`` stays ``007``) and its row order, and fills
the value columns the task writes (``shared.tasks``): a class value, a probability, one
probability per class, tags, a number, or k labels. Test row ``i`` of the shards is the
template's row ``i``; rows the preprocessing rejected (unreadable images) get the task's
prior (the training set's class or tag frequencies, or its mean value). A submission is
validated before it is written (columns, row count, id set and order, no missing values, and
the task's own checks: known classes, probabilities in [0, 1], rows summing to 1 ...) and
written atomically. The planner reads the template through the same ``SubmissionFormat.read``,
so a template that does not fit the task is refused before any kernel runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from shared.sources.csv_format import csv_format, not_utf8
from shared.store.atomic import atomic_path
from shared.tasks import Task, TaskShapeError, default_task
from shared.tasks.base import examples

__all__ = ["SubmissionFormat", "SubmissionError", "read_sample", "write_submission"]

# A code competition hides its test set until scoring; the message says how to enter one.
HIDDEN_TEST_SET = (
    "With [competition] submission = \"csv\" the pipeline predicts the test ids that "
    "sample_submission.csv lists, so it needs them all. If this is a code competition (its "
    "test images appear only when Kaggle re-runs the submitted notebook), set [competition] "
    "submission = \"code\": an inference kernel then decodes and predicts the test images "
    "the sample lists when it runs")


class SubmissionError(ValueError):
    """A submission that Kaggle would reject or score wrongly."""


def read_sample(path: str | os.PathLike, *, allow_empty: bool = False) -> pd.DataFrame:
    """``sample_submission.csv`` as text; refused when missing, unreadable or (unless
    ``allow_empty``: a code competition's public sample) without rows."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: attach the competition's data to the "
                                "train kernel (competition_sources)")
    fmt = csv_format(path)
    try:
        sample = pd.read_csv(path, dtype=str, keep_default_na=False, sep=fmt.delimiter,
                             encoding=fmt.encoding)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise SubmissionError(f"{path}: not a readable CSV ({exc})") from None
    except UnicodeDecodeError:
        raise not_utf8(path) from None
    if not len(sample) and not allow_empty:
        raise SubmissionError(f"{path} holds only its header ({', '.join(sample.columns)}) and "
                              f"no rows: expected one row per test id. {HIDDEN_TEST_SET}")
    return sample


@dataclass(frozen=True, eq=False)
class SubmissionFormat:
    """The template (``sample_submission.csv`` as text) and the task that fills it."""

    sample: pd.DataFrame
    id_column: str
    task: Task
    source: str = "sample_submission.csv"

    @classmethod
    def read(cls, path: str | os.PathLike, *, id_column: str, task: Task | None = None,
             label_column: str = "", classes: Sequence[Any] = (),
             allow_empty: bool = False) -> "SubmissionFormat":
        """Read and check the competition's sample submission for ``task`` (or, as in
        release 0.1, for one class per image: ``label_column`` and ``classes``)."""
        if task is None:
            task = default_task(tuple(classes), label_column)
        fmt = cls(sample=read_sample(path, allow_empty=allow_empty), id_column=id_column,
                  task=task, source=str(path))
        fmt.check_columns()
        return fmt

    def check_columns(self) -> None:
        """The template's columns are the id and the task's value columns, in that order."""
        columns, task, path = list(self.sample.columns), self.task, self.source
        expected = [self.id_column, *task.value_columns]
        if self.id_column not in columns or not set(task.value_columns) <= set(columns):
            raise SubmissionError(
                f"{path} has columns {columns}, expected the id column {self.id_column!r} and "
                f"{examples(list(task.value_columns), 12)}, as the planner found them in the "
                "competition's sample submission: re-run the planner on this competition's data")
        if columns != expected:
            raise SubmissionError(
                f"{path} has columns {columns}: a {task.name} submission has {expected}; "
                "other submission formats are not supported")
        duplicated = self.sample[self.id_column][self.sample[self.id_column].duplicated()]
        if len(duplicated):
            raise SubmissionError(f"{path} lists ids more than once: "
                                  f"{examples(duplicated.tolist())}")
        if not task.classes and task.needs_classes:
            raise SubmissionError("no classes to map predictions to: the shards carry none")

    @property
    def label_column(self) -> str:
        return self.task.column

    def __len__(self) -> int:
        return len(self.sample)

    def check_test_split(self, source_rows: np.ndarray, stored_ids: np.ndarray,
                         total_rows: int) -> None:
        """Test shard row ``i`` must be the template's row ``i``: same count, same ids."""
        if total_rows != len(self.sample):
            raise SubmissionError(
                f"the test shards describe {total_rows} rows, {self.source} has "
                f"{len(self.sample)}: the shards were made from other competition data; "
                "re-run the planner and the preprocessing kernels")
        expected = self.sample[self.id_column].to_numpy(dtype=str)[np.asarray(source_rows)]
        stored = np.asarray(stored_ids).astype(str)
        wrong = np.flatnonzero(expected != stored)
        if len(wrong):
            row = int(np.asarray(source_rows)[wrong[0]])
            raise SubmissionError(
                f"test shard ids do not follow {self.source}: row {row} holds id "
                f"{str(stored[wrong[0]])!r} in the shards and {str(expected[wrong[0]])!r} in the "
                "template "
                f"({len(wrong)} rows differ). Re-run preprocessing so test rows follow "
                "sample_submission.csv's order")

    def expand(self, source_rows: np.ndarray, predicted: np.ndarray,
               fallback: np.ndarray) -> np.ndarray:
        """Model outputs for every template row: ``predicted[i]`` at row ``source_rows[i]``,
        ``fallback`` (one output row) at every other row."""
        source_rows = np.asarray(source_rows, np.int64)
        predicted = np.asarray(predicted)
        if predicted.ndim == 1:  # class indices, as release 0.1 passed them
            predicted = np.eye(len(self.task.classes))[predicted]
        fallback = np.asarray(fallback, np.float64)
        if fallback.ndim == 0:
            fallback = np.eye(len(self.task.classes))[int(fallback)]
        if len(source_rows) != len(predicted):
            raise ValueError(f"{len(predicted)} predictions for {len(source_rows)} rows")
        full = np.tile(fallback, (len(self.sample), 1))
        full[source_rows] = predicted
        return full

    def fill(self, outputs: np.ndarray, *,
             calibration: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """The template with its value columns written from one model output per row."""
        if len(outputs) != len(self.sample):
            raise ValueError(f"{len(outputs)} outputs for the {len(self.sample)} rows of "
                             f"{self.source}")
        submission = self.sample.copy()
        for column, values in self.task.submission_values(np.asarray(outputs),
                                                          calibration or {}).items():
            submission[column] = values
        return submission

    def build(self, source_rows: np.ndarray, predicted: np.ndarray, fallback: np.ndarray, *,
              calibration: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """The template with its value columns filled: model output ``predicted[i]`` at
        template row ``source_rows[i]``, ``fallback`` (one output row) at every other row."""
        return self.fill(self.expand(source_rows, predicted, fallback),
                         calibration=calibration)

    def validate(self, submission: pd.DataFrame) -> None:
        """Raise ``SubmissionError`` unless ``submission`` matches the template and its
        values fit the task."""
        src, id_col = self.source, self.id_column
        if list(submission.columns) != list(self.sample.columns):
            raise SubmissionError(f"submission columns {list(submission.columns)} differ from "
                                  f"{src}'s {list(self.sample.columns)}")
        if len(submission) != len(self.sample):
            raise SubmissionError(f"submission has {len(submission)} rows, {src} has "
                                  f"{len(self.sample)}: every id must get exactly one row")
        missing_cells = submission.isna() | (submission.astype(str) == "")
        if missing_cells.to_numpy().any():
            bad = missing_cells.any(axis=1)
            raise SubmissionError(f"submission has missing values in {int(bad.sum())} rows "
                                  f"(first at row {int(np.flatnonzero(bad)[0])})")
        ids = submission[id_col].astype(str)
        expected = self.sample[id_col]
        absent = sorted(set(expected) - set(ids))
        unknown = sorted(set(ids) - set(expected))
        if absent or unknown or ids.duplicated().any():
            parts = ([f"{len(absent)} ids missing ({examples(absent)})"] if absent else []) + \
                ([f"{len(unknown)} ids not in {src} ({examples(unknown)})"] if unknown else [])
            parts = parts or [f"ids repeated ({examples(ids[ids.duplicated()].tolist())})"]
            raise SubmissionError(f"submission ids differ from {src}: {'; '.join(parts)}")
        if not (ids.to_numpy() == expected.to_numpy()).all():
            raise SubmissionError(f"submission lists the ids of {src} in another order: keep "
                                  "the template's row order")
        try:
            self.task.check_values(submission.reset_index(drop=True), "submission")
        except TaskShapeError as exc:
            raise SubmissionError(str(exc)) from None


def write_submission(submission: pd.DataFrame, path: str | os.PathLike,
                     fmt: SubmissionFormat) -> Path:
    """Validate against ``fmt``, then write atomically (temporary name, fsync, rename)."""
    fmt.validate(submission)
    with atomic_path(path) as tmp:
        submission.to_csv(tmp, index=False)
    return Path(path)
