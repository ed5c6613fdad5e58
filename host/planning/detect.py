"""Detecting a competition's layout from its folder; every ``[source]`` setting overrides a guess.

- ``sample_submission.csv`` gives the id column (its first column), the prediction column
  and the test ids.
- The labels CSV is ``train.csv``, ``train_labels.csv``, ``labels.csv`` ... or ``[source]
  train_csv``. With columns ``pixel0..pixelK`` it is a pixel CSV (the Digit Recognizer
  layout, with ``test.csv`` beside it); otherwise images are found by id (or by
  ``[source] path_column``) in whichever folder holds them.
- The image size and channel count are the most common among a sample of train images
  (``probe``), or come from the pixel count of a square image; the class list is the sorted
  set of labels.

``detect_source`` also returns notes for the plan (sizes or modes that vary).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Sequence

import numpy as np

from host.planning.hints import id_column_mismatch
from host.planning.probe import probe_images
from shared.config import SourceConfig
from shared.sources.images import IMAGE_EXTENSIONS, ImageIndex, ImageLocator, name_key
from shared.sources.layout import SourceLayout
from shared.sources.tables import (classes_of, count_rows, pixel_columns_of, read_columns,
                                   read_header)
from shared.sources.validate import check_blank_rows, check_labels_present

__all__ = ["Detection", "detect_layout", "detect_source"]

_SAMPLE = re.compile(r"^sample_?submission.*\.csv$", re.IGNORECASE)
_TRAIN_NAMES = ("train.csv", "train_labels.csv", "trainlabels.csv", "labels.csv",
                "train_label.csv", "training_labels.csv")
_LABEL_NAMES = ("label", "labels", "target", "class", "category")


@dataclass(frozen=True)
class Detection:
    """The resolved layout, and what the plan should say about how it was decided."""

    layout: SourceLayout
    notes: tuple[str, ...] = ()


def detect_layout(data_dir: str | Path, source: SourceConfig = SourceConfig()) -> SourceLayout:
    """Resolve the competition folder ``data_dir`` into a :class:`SourceLayout`."""
    return detect_source(data_dir, source).layout


def detect_source(data_dir: str | Path, source: SourceConfig = SourceConfig()) -> Detection:
    """``detect_layout`` with the notes the plan prints."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(
            f"competition folder {data_dir} not found: download the data (kaggle competitions "
            "download -c <slug>), unzip it there, or set [competition] data_dir")
    csvs = sorted(p.name for p in data_dir.iterdir() if p.suffix.lower() == ".csv")
    sample = _sample_submission(data_dir, csvs)
    sub_header = read_header(data_dir / sample)
    id_column = source.id_column or sub_header[0]
    if id_column not in sub_header:
        raise ValueError(f"{sample} has no column {id_column!r} ([source] id_column); its "
                         f"columns are {', '.join(sub_header)}. [source] id_column names the id "
                         f"column of {sample} and of the labels CSV alike: set it to one of "
                         f"{sample}'s columns (or leave it empty for its first), and rename the "
                         "labels CSV's id column to match if it differs")
    train_csv = source.train_csv or _train_csv(csvs, sample)
    if not (data_dir / train_csv).is_file():
        raise FileNotFoundError(f"{data_dir / train_csv} not found ([source] train_csv)")
    train_header = read_header(data_dir / train_csv)
    kind = source.layout
    if kind == "auto":
        kind = "pixel_csv" if len(pixel_columns_of(train_header)) >= 4 else "image_folder"
    common = dict(train_csv=train_csv, sample_submission=sample, id_column=id_column,
                  target_column=next((c for c in sub_header if c != id_column), ""),
                  resize=source.resize)
    build = _pixel_csv if kind == "pixel_csv" else _image_folder
    return build(data_dir, source, csvs, train_header, common)


def _sample_submission(data_dir: Path, csvs: Sequence[str]) -> str:
    found = [c for c in csvs if _SAMPLE.match(c)]
    if not found:
        raise FileNotFoundError(
            f"no sample_submission.csv in {data_dir} (found: {', '.join(csvs) or 'no CSV'}): "
            "the test ids and the submission's columns come from it; download the complete "
            "competition data")
    return "sample_submission.csv" if "sample_submission.csv" in found else found[0]


def _train_csv(csvs: Sequence[str], sample: str) -> str:
    by_lower = {c.lower(): c for c in csvs}
    for name in _TRAIN_NAMES:
        if name in by_lower:
            return by_lower[name]
    others = [c for c in csvs if c != sample and ("train" in c.lower() or "label" in c.lower())]
    if len(others) == 1:
        return others[0]
    raise ValueError(f"cannot tell which CSV holds the train labels (found: "
                     f"{', '.join(csvs)}): set [source] train_csv")


def _label_column(header: Sequence[str], exclude: set[str], source: SourceConfig,
                  target: str, where: str) -> str:
    if source.label_column:
        if source.label_column not in header:
            raise ValueError(f"{where} has no column {source.label_column!r} ([source] "
                             f"label_column); its columns are {', '.join(header[:12])}")
        return source.label_column
    candidates = [c for c in header if c not in exclude]
    if len(candidates) == 1:
        return candidates[0]
    for wanted in (target, *_LABEL_NAMES):
        match = [c for c in candidates if wanted and c.lower() == wanted.lower()]
        if match:
            return match[0]
    raise ValueError(f"cannot tell the label column of {where} among "
                     f"{', '.join(candidates[:12]) or 'no other column'}: set [source] "
                     "label_column")


def _spread(values: np.ndarray, k: int = 5) -> list[str]:
    picks = np.unique(np.linspace(0, len(values) - 1, min(k, len(values))).astype(int))
    return [str(values[i]) for i in picks]


# -- image folders ---------------------------------------------------------------------------
def _image_folder(data_dir: Path, source: SourceConfig, csvs, header, common) -> Detection:
    train_csv, id_column = common["train_csv"], common["id_column"]
    if id_column not in header:
        raise ValueError(id_column_mismatch(data_dir, train_csv, header, common))
    path_column = source.path_column
    if path_column and path_column not in header:
        raise ValueError(f"{train_csv} has no column {path_column!r} ([source] path_column)")
    label = _label_column(header, {id_column, path_column}, source, common["target_column"],
                          train_csv)
    table = read_columns(data_dir / train_csv, [c for c in (id_column, label, path_column) if c])
    ids = table[id_column]
    if not len(ids):
        raise ValueError(f"{train_csv} has no rows: nothing to train on")
    check_blank_rows(table, where=train_csv)
    check_labels_present(table[label], ids, where=train_csv, column=label)
    test_ids = read_columns(data_dir / common["sample_submission"], [id_column])[id_column]
    index = ImageIndex(data_dir)
    names = table[path_column] if path_column else ids
    train_dir, train_ext = (_path_base(data_dir, names) if path_column
                            else _locate(index, data_dir, names, "train"))
    test_dir, test_ext = _locate(index, data_dir, test_ids, "test") if len(test_ids) else ("", "")
    probe = probe_images(ImageLocator(data_dir / train_dir, train_ext), names)
    notes = probe.notes(size=not source.image_size, channels=not source.channels)
    layout = SourceLayout(
        kind="image_folder", **common, label_column=label, path_column=path_column,
        image_size=tuple(source.image_size) or probe.size,
        channels=source.channels or probe.channel_count, train_dir=train_dir,
        test_dir=test_dir, train_ext=train_ext, test_ext=test_ext,
        classes=classes_of(table[label]), split_rows={"train": len(ids), "test": len(test_ids)})
    return Detection(layout, tuple(notes))


def _locate(index: ImageIndex, data_dir: Path, names: np.ndarray, split: str) -> tuple[str, str]:
    """The folder (relative to ``data_dir``) holding the split's images, and the extension
    to append to an id ("" when the ids carry it)."""
    picks = _spread(names)
    chosen = []  # (name, its file); a missing image is skipped here and rejected later
    for name in picks:
        matches = index.lookup(name)
        in_split = [m for m in matches if any(split in part.lower()
                                              for part in PurePosixPath(m).parts[:-1])]
        if matches:
            chosen.append((name, PurePosixPath((in_split or matches)[0])))
    if not chosen:
        raise FileNotFoundError(
            f"no image for {split} id {picks[0]!r} under {data_dir}: looked for {picks[0]} with "
            f"and without {'/'.join(IMAGE_EXTENSIONS)}, any case, in every folder. Put the "
            f"{split} images in the competition folder, or set [source] path_column to a "
            "column of image paths")
    folder = os.path.commonpath([str(path.parent) for _, path in chosen])
    name, first = chosen[0]
    id_has_ext = name_key(first.name) == name_key(PurePosixPath(name).name)
    return ("" if folder in ("", ".") else folder), ("" if id_has_ext else first.suffix)


def _path_base(data_dir: Path, paths: np.ndarray) -> tuple[str, str]:
    """The folder that the path column's values are relative to."""
    picks = _spread(paths)
    bases = [""] + sorted(str(p.relative_to(data_dir)) for p in data_dir.iterdir() if p.is_dir())
    for base in bases:
        if all((data_dir / base / p).is_file() for p in picks):
            return base, ""
    raise FileNotFoundError(f"the path column's files (e.g. {picks[0]!r}) are not found relative "
                            f"to {data_dir} or any folder in it: check [source] path_column")


# -- pixel CSVs ------------------------------------------------------------------------------
def _pixel_csv(data_dir: Path, source: SourceConfig, csvs, header, common) -> Detection:
    train_csv, id_column = common["train_csv"], common["id_column"]
    named = pixel_columns_of(header)
    label = _label_column(header, set(named) | {id_column}, source, common["target_column"],
                          train_csv)
    pixels = named or [c for c in header if c not in (id_column, label)]
    test_csv = _test_csv(csvs, common["sample_submission"], train_csv)
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
    sub_rows = count_rows(data_dir / common["sample_submission"])
    if sub_rows != test_rows:
        raise ValueError(
            f"{common['sample_submission']} has {sub_rows} rows but {test_csv} has {test_rows}: "
            f"the submission's ids follow {test_csv}'s row order, so both need the same rows "
            "(a blank line inside a CSV counts as a row)")
    return Detection(SourceLayout(
        kind="pixel_csv", **common, label_column=label, test_csv=test_csv,
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
