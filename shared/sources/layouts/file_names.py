"""``file_names``: no labels CSV; each train file's name holds its label (Dogs vs. Cats:
``train/cat.0.jpg``, ``train/dog.1.jpg``).

``label_pattern`` (``[source] label_pattern``, or the planner's default) is a regular
expression with a group named ``label``, matched against each file name; the train rows are
the images directly in ``train_dir`` (a folder, or one inside a zip archive), sorted by name,
and a row's id is its file name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np

from shared.sources.layouts.base import SourceKind, TrainColumns, register_layout
from shared.sources.layouts.listing import listing_parts, slice_rows, train_files

if TYPE_CHECKING:
    from shared.sources.layout import SourceLayout

__all__ = ["FileNames", "DEFAULT_LABEL_PATTERN", "label_pattern"]

# a label, then a separator and a number: cat.0.jpg, golden_retriever_12.png, cat-7.jpeg
DEFAULT_LABEL_PATTERN = "(?P<label>.+?)[._ -][0-9]+[.][A-Za-z0-9]+"


def label_pattern(text: str) -> re.Pattern:
    """The compiled pattern; ValueError unless it is valid and has a group named ``label``."""
    try:
        pattern = re.compile(text)
    except re.error as exc:
        raise ValueError(f"[source] label_pattern = {text!r} is not a regular expression "
                         f"({exc})") from None
    if "label" not in pattern.groupindex:
        raise ValueError(f"[source] label_pattern = {text!r} has no group named label: write "
                         r"it as (?P<label>...), e.g. '(?P<label>[a-z]+)\.[0-9]+\.jpg'")
    return pattern


@register_layout
class FileNames(SourceKind):
    """Labels in the train files' names."""

    name = "file_names"
    listed = True

    @classmethod
    def check(cls, layout: "SourceLayout") -> None:
        label_pattern(layout.label_pattern)

    @classmethod
    def labels_from(cls, layout: "SourceLayout") -> str:
        return f"file names in {layout.train_dir}/"

    @classmethod
    def train_columns(cls, layout: "SourceLayout", data_dir: Path, start: int = 0,
                      stop: int | None = None) -> TrainColumns:
        where = f"{layout.train_dir}/"
        names = slice_rows(train_files(layout, data_dir, 1), start, stop, where)
        pattern = label_pattern(layout.label_pattern)
        matches = [pattern.fullmatch(n) for n in names]
        labels = np.asarray([m.group("label") if m else "" for m in matches], dtype=object)
        return TrainColumns(ids=names, labels=labels, names=names, where=where,
                            id_column="file name", label_column="label in the file name")

    @classmethod
    def listing_parts(cls, layout: "SourceLayout", data_dir: Path) -> Iterator[str]:
        return listing_parts(layout, data_dir)
