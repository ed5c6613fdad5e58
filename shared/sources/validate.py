"""Input checks that run before any shard is written: ids unique, labels present and known.

Each error names the file, the offending ids and rows (0-based data rows, header not
counted; where a line number is given, the header is line 1 and no quoted field spans lines)
and how to fix the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shared.sources.tables import label_text, stripped

__all__ = ["check_blank_rows", "check_ids", "check_labels_present", "class_indices", "examples"]


def examples(ids: np.ndarray, rows: np.ndarray, first_row: int, limit: int = 5) -> str:
    shown = ", ".join(f"{ids[i]!r} (row {first_row + int(i)}, line {first_row + int(i) + 2})"
                      for i in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def _rows_and_lines(rows: np.ndarray, first_row: int, limit: int = 5) -> str:
    shown = [first_row + int(r) for r in rows[:limit]]
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return (f"row{'s' if len(shown) > 1 else ''} {', '.join(map(str, shown))} "
            f"(line{'s' if len(shown) > 1 else ''} {', '.join(str(r + 2) for r in shown)}){more}")


def check_blank_rows(columns: dict[str, np.ndarray], *, where: str, first_row: int = 0) -> None:
    """No row whose every field in ``columns`` is empty: a blank line (give two or more
    columns: with one, an empty field need not be a blank line)."""
    blank = np.flatnonzero(np.logical_and.reduce([stripped(v) == "" for v in columns.values()]))
    if len(blank):
        names = ", ".join(repr(c) for c in columns)
        raise ValueError(
            f"{where}: {_rows_and_lines(blank, first_row)} {'is' if len(blank) == 1 else 'are'} "
            f"blank (empty {names}): a blank line inside a CSV counts as a row, so every row "
            "after it would move; remove the blank lines (those at the end of the file are "
            "fine)")


def check_ids(ids: np.ndarray, *, where: str, column: str, first_row: int = 0) -> None:
    """Every id present and unique."""
    ids = np.asarray(ids, dtype=object)
    empty = np.flatnonzero(stripped(ids) == "")
    if len(empty):
        raise ValueError(f"{where}: {len(empty)} rows have an empty {column!r} "
                         f"({_rows_and_lines(empty, first_row)}); every row needs an id: fill "
                         "them in or remove those rows (a blank line counts as a row)")
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
                         f"{examples(ids, empty, first_row)}; fill in their labels or remove "
                         "those rows (a blank line counts as a row)")


def class_indices(raw: np.ndarray, classes: tuple, ids: np.ndarray, *, where: str,
                  column: str, first_row: int = 0) -> np.ndarray:
    """Each label's index in the sorted class list; ValueError naming unknown labels."""
    check_labels_present(raw, ids, where=where, column=column, first_row=first_row)
    # by the text as written: an int class is a plain integer, whose text is str(class)
    index = pd.Series(label_text(raw), dtype=object).map({str(c): i for i, c in
                                                         enumerate(classes)})
    unknown = np.flatnonzero(index.isna().to_numpy())
    if len(unknown):
        labels = sorted({str(v) for v in stripped(raw[unknown])})
        raise ValueError(
            f"{where}: label {labels[0]!r} in column {column!r} is not in the planned class "
            f"list {list(classes)[:20]} ({len(unknown)} rows, e.g. "
            f"{examples(ids, unknown, first_row, 3)}); the labels changed since the plan was "
            "made: re-plan and push the kernels again")
    return index.to_numpy(dtype=np.int64)
