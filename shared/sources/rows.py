"""The rows of one split through a resolved layout: ids, labels, and where the pixels are.

Row ``i`` of the train split is data row ``i`` of the labels CSV (or pixel CSV), or the
``i``-th train image of a listed layout; row ``i`` of the test split is data row ``i`` of
``sample_submission.csv`` (and, for pixel CSVs, of the test pixel CSV, whose order the
submission follows).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from shared.sources.layout import SourceLayout
from shared.sources.layouts import layout_kind
from shared.sources.tables import iter_pixel_chunks, pixel_columns_of, read_columns, read_header
from shared.sources.targets import encode_targets
from shared.sources.validate import check_ids

__all__ = ["SplitRows", "read_split_rows", "pixel_columns", "iter_pixel_rows"]


@dataclass(frozen=True)
class SplitRows:
    """Rows ``[start, start + len)`` of one split, validated."""

    split: str
    start: int
    ids: np.ndarray  # str per row
    labels: np.ndarray | None  # train: the stored target per row (see ``targets``)
    names: np.ndarray | None  # image layouts: the id or path that locates each image

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def stop(self) -> int:
        return self.start + len(self.ids)


def read_split_rows(layout: SourceLayout, data_dir: str | Path, split: str, start: int = 0,
                    stop: int | None = None) -> SplitRows:
    """Ids, targets and image names of rows ``[start, stop)``; ValueError on bad input.

    Checks that ids are present and unique (within the rows read) and that every train label
    is present and fits the task (a known class or tag, or a number). Train rows come as the
    layout's record says (``shared.sources.layouts``), test rows from the sample submission.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split {split!r}: expected 'train' or 'test'")
    kind = layout_kind(layout.kind)
    if split == "train":
        train = kind.train_columns(layout, Path(data_dir), start, stop)
        check_ids(train.ids, where=train.where, column=train.id_column, first_row=start)
        labels = encode_targets(train.labels, layout.targets, layout.classes, train.ids,
                                where=train.where, column=train.label_column,
                                first_row=start)
        return SplitRows(split=split, start=start, ids=train.ids, labels=labels,
                         names=train.names)
    name = layout.sample_submission
    path = Path(data_dir) / name
    id_column = layout.id_column if layout.id_column in read_header(path) else ""
    if id_column:
        ids = read_columns(path, [id_column], start=start, stop=stop)[id_column]
        check_ids(ids, where=name, column=id_column, first_row=start)
    else:  # a pixel CSV's sample without ids: the row number is the id
        count = (stop if stop is not None else start + _rows_of(layout, split)) - start
        ids = np.array([str(r) for r in range(start, start + count)], dtype=object)
    return SplitRows(split=split, start=start, ids=ids, labels=None,
                     names=None if kind.pixels_in_csv else ids)


def _rows_of(layout: SourceLayout, split: str) -> int:
    if split not in layout.split_rows:
        raise ValueError(f"the layout records no row count for the {split} split")
    return int(layout.split_rows[split])


def pixel_columns(layout: SourceLayout, data_dir: str | Path, split: str) -> tuple[str, list[str]]:
    """The pixel CSV of ``split`` and its pixel columns (``pixel0``.. or all but id and label)."""
    name = layout.train_csv if split == "train" else layout.test_csv
    header = read_header(Path(data_dir) / name)
    columns = pixel_columns_of(header) or [c for c in header
                                           if c not in (layout.id_column, layout.label_column)]
    expected = int(np.prod(layout.source_shape))
    if len(columns) != expected:
        raise ValueError(f"{name} has {len(columns)} pixel columns, the layout expects "
                         f"{expected} for images of {layout.source_shape}: the file changed "
                         "since the plan was made, or [source] image_size is wrong")
    return name, columns


def iter_pixel_rows(layout: SourceLayout, data_dir: str | Path, split: str, start: int,
                    stop: int) -> Iterator[tuple[int, np.ndarray]]:
    """Raw pixel values of rows ``[start, stop)`` in chunks: ``(first_row, (n, h*w*c))``."""
    name, columns = pixel_columns(layout, data_dir, split)
    yield from iter_pixel_chunks(Path(data_dir) / name, columns, start=start, stop=stop)
