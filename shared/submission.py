"""``submission.csv``: predictions mapped back to the competition's ids and label values.

The competition's ``sample_submission.csv`` is the template: the submission keeps its
columns, its id values (read as text, so ``007`` stays ``007``) and its row order, and fills
the label column with the original class values (``DatasetSpec.classes``). Test row ``i`` of
the shards is ``sample_submission.csv``'s row ``i``; rows the preprocessing rejected
(unreadable images) get a fallback class chosen by the caller. A submission is validated
before it is written (row count, id set and order, no missing values, known labels) and
written atomically.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from shared.store.atomic import atomic_path

__all__ = ["SubmissionFormat", "SubmissionError", "write_submission"]


class SubmissionError(ValueError):
    """A submission that Kaggle would reject or score wrongly."""


def _examples(values: Sequence[Any], limit: int = 3) -> str:
    shown = ", ".join(repr(v) for v in list(values)[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


@dataclass(frozen=True, eq=False)
class SubmissionFormat:
    """The template (``sample_submission.csv`` as text) and the label values allowed."""

    sample: pd.DataFrame
    id_column: str
    label_column: str
    classes: tuple[Any, ...]
    source: str = "sample_submission.csv"

    @classmethod
    def read(cls, path: str | os.PathLike, *, id_column: str, label_column: str,
             classes: Sequence[Any]) -> "SubmissionFormat":
        """Read and check the competition's sample submission."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: attach the competition's data to the "
                                    "train kernel (competition_sources)")
        try:
            sample = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
            raise SubmissionError(f"{path}: not a readable CSV ({exc})") from None
        columns = list(sample.columns)
        if id_column not in columns or label_column not in columns:
            raise SubmissionError(
                f"{path} has columns {columns}, expected the id column {id_column!r} and the "
                f"label column {label_column!r}, as the planner found them in the competition's "
                "sample submission: re-run the planner on this competition's data")
        if len(columns) != 2:
            raise SubmissionError(
                f"{path} has columns {columns}: this pipeline writes one label per id "
                f"({id_column!r}, {label_column!r}); other submission formats are not supported")
        duplicated = sample[id_column][sample[id_column].duplicated()].tolist()
        if duplicated:
            raise SubmissionError(f"{path} lists ids more than once: {_examples(duplicated)}")
        if not classes:
            raise SubmissionError("no classes to map predictions to: the shards carry none")
        return cls(sample=sample, id_column=id_column, label_column=label_column,
                   classes=tuple(classes), source=str(path))

    @property
    def label_values(self) -> list[str]:
        """Each class as the text written into the label column."""
        return [str(c) for c in self.classes]

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

    def build(self, source_rows: np.ndarray, class_indices: np.ndarray,
              fallback_index: int) -> pd.DataFrame:
        """The template with its label column filled: ``class_indices[i]`` at template row
        ``source_rows[i]``, ``fallback_index`` at every row without a prediction."""
        source_rows = np.asarray(source_rows, np.int64)
        class_indices = np.asarray(class_indices, np.int64)
        if source_rows.shape != class_indices.shape:
            raise ValueError(f"{len(class_indices)} predictions for {len(source_rows)} rows")
        chosen = np.full(len(self.sample), fallback_index, np.int64)
        chosen[source_rows] = class_indices
        submission = self.sample.copy()
        submission[self.label_column] = np.asarray(self.label_values, dtype=object)[chosen]
        return submission

    def validate(self, submission: pd.DataFrame) -> None:
        """Raise ``SubmissionError`` unless ``submission`` matches the template exactly."""
        src, id_col, label_col = self.source, self.id_column, self.label_column
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
            parts = ([f"{len(absent)} ids missing ({_examples(absent)})"] if absent else []) + \
                ([f"{len(unknown)} ids not in {src} ({_examples(unknown)})"] if unknown else [])
            parts = parts or [f"ids repeated ({_examples(ids[ids.duplicated()].tolist())})"]
            raise SubmissionError(f"submission ids differ from {src}: {'; '.join(parts)}")
        if not (ids.to_numpy() == expected.to_numpy()).all():
            raise SubmissionError(f"submission lists the ids of {src} in another order: keep "
                                  "the template's row order")
        labels = submission[label_col].astype(str)
        allowed = set(self.label_values)
        bad_labels = sorted(set(labels) - allowed)
        if bad_labels:
            raise SubmissionError(
                f"submission has labels that are not the competition's classes: "
                f"{_examples(bad_labels)} ({int((~labels.isin(allowed)).sum())} rows); expected "
                f"one of {_examples(self.label_values, 12)}")


def write_submission(submission: pd.DataFrame, path: str | os.PathLike,
                     fmt: SubmissionFormat) -> Path:
    """Validate against ``fmt``, then write atomically (temporary name, fsync, rename)."""
    fmt.validate(submission)
    with atomic_path(path) as tmp:
        submission.to_csv(tmp, index=False)
    return Path(path)
