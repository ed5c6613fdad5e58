"""What the planner suggests when the competition's files do not fit together."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from shared.sources.csv_format import csv_format
from shared.sources.images import ImageIndex, is_image_name
from shared.sources.tables import read_columns

__all__ = ["id_column_mismatch"]

_ID_WORDS = ("id", "image", "img", "file", "name", "path")


def _likely_id(header: Sequence[str], exclude: str) -> str:
    """The labels CSV's column most likely to hold the ids: named like one, else the first."""
    for word in _ID_WORDS:
        for column in header:
            if column != exclude and word in column.lower():
                return column
    return header[0]


def _header_is_a_row(header: Sequence[str], index: ImageIndex | None) -> str:
    """Why the header line reads as a data row ("" when it does not): a field names an
    image, or every field is a number."""
    for field in header:
        found = index.lookup(field.strip()) if index is not None else []
        if found:
            return f"{field.strip()!r} names the image {found[0]}"
    if all(pd.to_numeric(pd.Series([f.strip() for f in header]), errors="coerce").notna()):
        return "every field is a number"
    return ""


def id_column_mismatch(data_dir: Path, train_csv: str, header: Sequence[str],
                       common: Mapping[str, str], index: ImageIndex | None = None) -> str:
    """Why the labels CSV lacks the sample's id column, and the edit that fixes it."""
    id_column, sample = common["id_column"], common["sample_submission"]
    row = _header_is_a_row(header, index)
    if row:
        fmt = csv_format(data_dir / train_csv)
        names = fmt.delimiter.join([id_column, common.get("target_column") or "label"])
        return (f"{train_csv} has no header line: its first line "
                f"{fmt.delimiter.join(header)!r} is a data row ({row}). Add a header line "
                f"naming the columns at its top, e.g. {names!r} (the id column as {sample} "
                "names it); renaming a value in the first line would lose that row")
    candidate = _likely_id(header, common.get("target_column", ""))
    values = read_columns(data_dir / train_csv, [candidate])[candidate]
    example = str(values[0]) if len(values) else ""
    text = (f"{train_csv} has no column {id_column!r} (the id column of {sample}); its columns "
            f"are {', '.join(header[:12])}. Both files must name the id column alike, and "
            "[source] id_column cannot rename one: it names the same column in both. ")
    if example and (is_image_name(example) or "/" in example):
        return text + (f"{train_csv}'s column {candidate!r} holds file paths (e.g. {example!r}): "
                       f"set [source] path_column = {candidate!r}, or rename that column to "
                       f"{id_column!r} in {train_csv}'s header line")
    return text + (f"Rename {train_csv}'s column {candidate!r} (e.g. {example!r}) to "
                   f"{id_column!r} in its header line (or {sample}'s {id_column!r} to "
                   f"{candidate!r})")
