"""``class_folders``: no labels CSV; one folder per class (``train/<class>/*.jpg``, the
ImageFolder layout of many Kaggle data sets).

The train rows are the images one level below ``train_dir`` (a folder, or one inside a zip
archive), sorted by path; a row's label is its folder's name, and its id the path relative to
``train_dir`` (``cat/0001.jpg``): the same file name may sit in two class folders.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Iterator

import numpy as np

from shared.sources.layouts.base import SourceKind, TrainColumns, register_layout
from shared.sources.layouts.listing import listing_parts, slice_rows, train_files

if TYPE_CHECKING:
    from shared.sources.layout import SourceLayout

__all__ = ["ClassFolders"]


@register_layout
class ClassFolders(SourceKind):
    """One folder per class."""

    name = "class_folders"
    listed = True

    @classmethod
    def labels_from(cls, layout: "SourceLayout") -> str:
        return f"class folders in {layout.train_dir}/"

    @classmethod
    def train_columns(cls, layout: "SourceLayout", data_dir: Path, start: int = 0,
                      stop: int | None = None) -> TrainColumns:
        where = f"{layout.train_dir}/"
        names = slice_rows(train_files(layout, data_dir, 2), start, stop, where)
        labels = np.asarray([PurePosixPath(n).parts[0] for n in names], dtype=object)
        return TrainColumns(ids=names, labels=labels, names=names, where=where,
                            id_column="path", label_column="folder")

    @classmethod
    def listing_parts(cls, layout: "SourceLayout", data_dir: Path) -> Iterator[str]:
        return listing_parts(layout, data_dir)
