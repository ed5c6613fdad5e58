"""Label text to stored targets, by how the task stores them (``SourceLayout.targets``).

- ``class``: the index of each label in the sorted class list (``validate.class_indices``).
- ``multi_hot``: space-separated tags, one uint8 column per tag of the sorted tag list.
- ``value``: a number per row, float32.

The planner runs the same encoding over every row before any kernel runs, so a label that
does not parse is refused on the user's machine, naming its row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shared.sources.tables import plain_integers, stripped
from shared.sources.validate import check_labels_present, class_indices, examples

__all__ = ["encode_targets", "split_tags", "tag_list"]


def split_tags(raw: np.ndarray) -> list[list[str]]:
    """Each label's tags: whitespace-separated, surrounding space ignored."""
    return [str(v).split() for v in stripped(raw)]


def tag_list(raw: np.ndarray) -> tuple:
    """The sorted distinct tags of space-separated labels; ints when every tag is a plain
    integer (``07`` is a tag of its own, kept as written)."""
    tags = np.asarray(sorted({t for row in split_tags(raw) for t in row}), dtype=object)
    if plain_integers(tags):
        return tuple(sorted(int(t) for t in tags))
    return tuple(str(t) for t in tags)


def _multi_hot(raw: np.ndarray, tags: tuple, ids: np.ndarray, *, where: str, column: str,
               first_row: int) -> np.ndarray:
    index = {str(t): k for k, t in enumerate(tags)}
    out = np.zeros((len(raw), len(tags)), np.uint8)
    unknown: list[int] = []
    for row, names in enumerate(split_tags(raw)):
        for name in names:
            k = index.get(name)
            if k is None:
                unknown.append(row)
                break
            out[row, k] = 1
    if unknown:
        tag = next(n for n in split_tags(raw[unknown[:1]])[0] if n not in index)
        raise ValueError(
            f"{where}: tag {tag!r} in column {column!r} is not in the planned tag list "
            f"{list(tags)[:20]} ({len(unknown)} rows, e.g. "
            f"{examples(ids, np.asarray(unknown), first_row, 3)}); the labels changed since "
            "the plan was made: re-plan and push the kernels again")
    return out


def _values(raw: np.ndarray, ids: np.ndarray, *, where: str, column: str,
            first_row: int) -> np.ndarray:
    numbers = pd.to_numeric(pd.Series(stripped(raw)), errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~np.isfinite(numbers))
    if len(bad):
        raise ValueError(
            f"{where}: {len(bad)} rows of column {column!r} are not finite numbers (a "
            f"regression target): {examples(ids, bad, first_row, 3)}, e.g. "
            f"{str(raw[bad[0]])!r}; fix or remove those rows, or set [competition] task if this "
            "is not a regression")
    return numbers.astype(np.float32)


def encode_targets(raw: np.ndarray, targets: str, classes: tuple, ids: np.ndarray, *,
                   where: str, column: str, first_row: int = 0) -> np.ndarray:
    """Stored targets of label text ``raw`` (see the module docstring); ValueError naming the
    rows whose label is empty or does not fit."""
    kw = dict(where=where, column=column, first_row=first_row)
    if targets == "class":
        return class_indices(raw, classes, ids, **kw)
    check_labels_present(raw, ids, **kw)
    if targets == "multi_hot":
        return _multi_hot(raw, classes, ids, **kw)
    if targets == "value":
        return _values(raw, ids, **kw)
    raise ValueError(f"targets = {targets!r}: expected class, multi_hot or value")
