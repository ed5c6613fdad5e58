"""``pixel_csv``: the Digit Recognizer layout, one image per CSV row.

``train.csv`` holds a label column and ``pixel0..pixelK`` (or the pixels as every other
column), ``test.csv`` the pixels only, and ``sample_submission.csv``'s ids follow
``test.csv``'s rows. A train CSV without an id column takes the row number as the id.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from shared.sources.layouts.base import SourceKind, TrainColumns, register_layout
from shared.sources.tables import read_columns, read_header
from shared.sources.validate import check_blank_rows

if TYPE_CHECKING:
    from shared.sources.layout import SourceLayout

__all__ = ["PixelCsv"]


@register_layout
class PixelCsv(SourceKind):
    """Pixel values in CSV rows."""

    name = "pixel_csv"
    pixels_in_csv = True

    @classmethod
    def check(cls, layout: "SourceLayout") -> None:
        if len(layout.source_shape) != 3 or layout.source_shape[2] not in (1, 3):
            raise ValueError(f"source_shape {layout.source_shape}: a pixel_csv layout needs the "
                             "CSV's (height, width, channels), channels 1 or 3")

    @classmethod
    def train_columns(cls, layout: "SourceLayout", data_dir: Path, start: int = 0,
                      stop: int | None = None) -> TrainColumns:
        path = Path(data_dir) / layout.train_csv
        id_column = layout.id_column if layout.id_column in read_header(path) else ""
        columns = [c for c in (id_column, layout.label_column) if c]
        table = read_columns(path, columns, start=start, stop=stop)
        labels = table[layout.label_column]
        if id_column:
            check_blank_rows(table, where=layout.train_csv, first_row=start)
            ids = table[id_column]
        else:  # the row number is the id
            ids = np.array([str(r) for r in range(start, start + len(labels))], dtype=object)
        return TrainColumns(ids=ids, labels=labels, names=None, where=layout.train_csv,
                            id_column=id_column, label_column=layout.label_column,
                            table=table)
