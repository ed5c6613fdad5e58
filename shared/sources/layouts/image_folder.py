"""``image_folder``: a labels CSV (id, label) and the images found by id, or by a path column.

The images may sit in any folder, or in a folder inside a zip archive (``train.zip/train``);
the test ids come from ``sample_submission.csv``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from shared.sources.layouts.base import SourceKind, TrainColumns, register_layout
from shared.sources.tables import read_columns
from shared.sources.validate import check_blank_rows

if TYPE_CHECKING:
    from shared.sources.layout import SourceLayout

__all__ = ["ImageFolder"]


@register_layout
class ImageFolder(SourceKind):
    """A labels CSV naming each train image by id (or path)."""

    name = "image_folder"

    @classmethod
    def train_columns(cls, layout: "SourceLayout", data_dir: Path, start: int = 0,
                      stop: int | None = None) -> TrainColumns:
        columns = [c for c in (layout.id_column, layout.label_column, layout.path_column) if c]
        table = read_columns(Path(data_dir) / layout.train_csv, columns, start=start, stop=stop)
        check_blank_rows(table, where=layout.train_csv, first_row=start)
        ids = table[layout.id_column]
        names = table[layout.path_column] if layout.path_column else ids
        return TrainColumns(ids=ids, labels=table[layout.label_column], names=names,
                            where=layout.train_csv, id_column=layout.id_column,
                            label_column=layout.label_column, table=table)
