"""``pixel_csv``: a labels CSV whose columns are pixels (``pixel0`` ..), with ``test.csv``."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from host.planning.layout_rules.base import Detection, LayoutEvidence, register_layout_rule
from host.planning.layout_rules._columns import label_column
from shared.config import SourceConfig
from shared.sources.layout import SourceLayout
from shared.sources.tables import (classes_of, count_rows, pixel_columns_of, read_columns,
                                   read_header)
from shared.sources.validate import check_labels_present

MIN_PIXEL_COLUMNS = 4


@register_layout_rule("pixel_csv", order=10)
def pixels_in_the_labels_csv(e: LayoutEvidence, forced: bool) -> Detection | str:
    if not e.train_csv:
        return "no labels CSV holds pixel columns" if forced else ""
    header = read_header(e.data_dir / e.train_csv)
    if not forced and len(pixel_columns_of(header)) < MIN_PIXEL_COLUMNS:
        return ""
    return _pixel_csv(e, header)


def _pixel_csv(e: LayoutEvidence, header: Sequence[str]) -> Detection:
    data_dir, source, common = e.data_dir, e.source, e.common
    train_csv, id_column = e.train_csv, e.id_column
    named = pixel_columns_of(header)
    label = label_column(header, set(named) | {id_column}, source, common["target_column"],
                         train_csv)
    pixels = named or [c for c in header if c not in (id_column, label)]
    test_csv = _test_csv(e.csvs, e.sample, train_csv)
    test_header = read_header(data_dir / test_csv)
    test_pixels = pixel_columns_of(test_header) or [c for c in test_header if c != id_column]
    if len(test_pixels) != len(pixels):
        raise ValueError(f"{train_csv} has {len(pixels)} pixel columns but {test_csv} has "
                         f"{len(test_pixels)}: both must hold images of the same size")
    source_shape = _pixel_shape(len(pixels), source, train_csv)
    raw = read_columns(data_dir / train_csv, [label])[label]
    if not len(raw):
        raise ValueError(f"{train_csv} has no rows: nothing to train on")
    check_labels_present(raw, np.array([str(i) for i in range(len(raw))], dtype=object),
                         where=train_csv, column=label)
    test_rows = count_rows(data_dir / test_csv)
    sub_rows = count_rows(data_dir / e.sample)
    if sub_rows != test_rows:
        raise ValueError(
            f"{e.sample} has {sub_rows} rows but {test_csv} has {test_rows}: the submission's "
            f"ids follow {test_csv}'s row order, so both need the same rows (a blank line "
            "inside a CSV counts as a row)")
    return Detection(SourceLayout(
        kind="pixel_csv", **common, train_csv=train_csv, label_column=label, test_csv=test_csv,
        image_size=tuple(source.image_size) or source_shape[:2],
        channels=source.channels or source_shape[2], source_shape=source_shape,
        classes=classes_of(raw), split_rows={"train": len(raw), "test": test_rows}))


def _test_csv(csvs: Sequence[str], sample: str, train_csv: str) -> str:
    by_lower = {c.lower(): c for c in csvs}
    if "test.csv" in by_lower:
        return by_lower["test.csv"]
    others = [c for c in csvs if "test" in c.lower() and c not in (sample, train_csv)]
    if len(others) == 1:
        return others[0]
    raise FileNotFoundError(f"no test pixel CSV (test.csv) beside {train_csv} (found: "
                            f"{', '.join(csvs)})")


def _pixel_shape(count: int, source: SourceConfig, where: str) -> tuple[int, int, int]:
    if source.image_size:
        height, width = source.image_size
        for channels in (1, 3):
            if height * width * channels == count:
                return (height, width, channels)
    for channels in (1, 3):
        side = math.isqrt(count // channels)
        if count % channels == 0 and side * side * channels == count:
            return (side, side, channels)
    raise ValueError(f"{where} has {count} pixel columns: not a square image (n*n gray or n*n*3 "
                     "RGB); set [source] image_size = [height, width] to the stored size")


__all__ = ["pixels_in_the_labels_csv"]
