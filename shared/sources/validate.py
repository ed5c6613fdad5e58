"""Input checks that run before any shard is written: ids unique, labels present and known.

Each error names the file, the offending ids and rows (0-based data rows, header not
counted) and how to fix the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shared.sources.tables import parse_labels, stripped

__all__ = ["check_ids", "check_labels_present", "class_indices"]


def _examples(ids: np.ndarray, rows: np.ndarray, first_row: int, limit: int = 5) -> str:
    shown = ", ".join(f"{ids[i]!r} (row {first_row + int(i)})" for i in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def check_ids(ids: np.ndarray, *, where: str, column: str, first_row: int = 0) -> None:
    """Every id present and unique."""
    ids = np.asarray(ids, dtype=object)
    empty = np.flatnonzero(stripped(ids) == "")
    if len(empty):
        rows = ", ".join(str(first_row + int(i)) for i in empty[:5])
        raise ValueError(f"{where}: {len(empty)} rows have an empty {column!r} (rows {rows}); "
                         "every row needs an id: fill them in or remove those rows")
    duplicated = pd.Series(ids, dtype=object).duplicated(keep=False).to_numpy()
    if duplicated.any():
        first = ids[np.flatnonzero(duplicated)[0]]
        rows = np.flatnonzero(ids == first)
        others = len(set(ids[duplicated])) - 1
        raise ValueError(
            f"{where}: id {first!r} appears {len(rows)} times (rows "
            f"{', '.join(str(first_row + int(r)) for r in rows[:5])})"
            + (f", and {others} other ids are duplicated too" if others else "")
            + f"; the {column!r} column must identify each row once: remove or rename the "
            "duplicates")


def check_labels_present(raw: np.ndarray, ids: np.ndarray, *, where: str, column: str,
                         first_row: int = 0) -> None:
    """No empty label."""
    empty = np.flatnonzero(stripped(raw) == "")
    if len(empty):
        raise ValueError(f"{where}: {len(empty)} rows have no label in column {column!r}: "
                         f"{_examples(ids, empty, first_row)}; fill in their labels or remove "
                         "those rows")


def class_indices(raw: np.ndarray, classes: tuple, ids: np.ndarray, *, where: str,
                  column: str, first_row: int = 0) -> np.ndarray:
    """Each label's index in the sorted class list; ValueError naming unknown labels."""
    check_labels_present(raw, ids, where=where, column=column, first_row=first_row)
    integers = bool(classes) and all(isinstance(c, int) for c in classes)
    values = parse_labels(raw, integers)
    index = values.map({c: i for i, c in enumerate(classes)})
    unknown = np.flatnonzero(index.isna().to_numpy())
    if len(unknown):
        labels = sorted({str(v) for v in stripped(raw[unknown])})
        raise ValueError(
            f"{where}: label {labels[0]!r} in column {column!r} is not in the planned class "
            f"list {list(classes)[:20]} ({len(unknown)} rows, e.g. "
            f"{_examples(ids, unknown, first_row, 3)}); the labels changed since the plan was "
            "made: re-plan and push the kernels again")
    return index.to_numpy(dtype=np.int64)
