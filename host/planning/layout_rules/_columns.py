"""Which column of a labels CSV holds the labels."""

from __future__ import annotations

from typing import Sequence

from shared.config import SourceConfig

__all__ = ["label_column", "LABEL_NAMES"]

LABEL_NAMES = ("label", "labels", "target", "class", "category")


def label_column(header: Sequence[str], exclude: set[str], source: SourceConfig,
                 target: str, where: str) -> str:
    """``[source] label_column``, the only other column, or one named like a label."""
    if source.label_column:
        if source.label_column not in header:
            raise ValueError(f"{where} has no column {source.label_column!r} ([source] "
                             f"label_column); its columns are {', '.join(header[:12])}")
        return source.label_column
    candidates = [c for c in header if c not in exclude]
    if len(candidates) == 1:
        return candidates[0]
    for wanted in (target, *LABEL_NAMES):
        match = [c for c in candidates if wanted and c.lower() == wanted.lower()]
        if match:
            return match[0]
    raise ValueError(f"cannot tell the label column of {where} among "
                     f"{', '.join(candidates[:12]) or 'no other column'}: set [source] "
                     "label_column")
