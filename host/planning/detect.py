"""Detecting a competition's layout from its folder; every ``[source]`` setting overrides a guess.

- ``sample_submission.csv`` gives the id column (its first column), the prediction column
  and the test ids.
- The layout is the first claim of the layout rules (``host.planning.layout_rules``, one
  module per layout: a pixel CSV, a labels CSV with images found by id, one folder per
  class, labels in file names), or the one ``[source] layout`` names. Images are found in any
  folder, or inside a ``.zip`` archive (read in place).
- The image size and channel count are the most common among a sample of train images
  (``probe``), or come from the pixel count of a square image; the class list is the sorted
  set of labels.

``detect_source`` also returns notes for the plan (sizes or modes that vary, archives read in
place, ids matched through zero-padded names).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Sequence

from host.planning.layout_rules import Detection, LayoutEvidence, detect_layout_kind
from shared.config import SourceConfig
from shared.sources.layout import SourceLayout
from shared.sources.csv_format import csv_format
from shared.sources.tables import read_header

__all__ = ["Detection", "detect_layout", "detect_source"]

_SAMPLE = re.compile(r"^sample_?submission.*\.csv$", re.IGNORECASE)


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
    common = dict(sample_submission=sample, id_column=id_column,
                  target_column=next((c for c in sub_header if c != id_column), ""),
                  resize=source.resize)
    evidence = LayoutEvidence(data_dir=data_dir, source=source, csvs=tuple(csvs), common=common)
    found = detect_layout_kind(evidence, source.layout)
    return dataclasses.replace(found, notes=(*_format_notes(data_dir, found.layout),
                                             *found.notes))


def _format_notes(data_dir: Path, layout: SourceLayout) -> list[str]:
    """A note for each CSV that is not a plain comma-separated UTF-8 file."""
    notes = []
    for name in layout.source_files():
        differs = csv_format(data_dir / name).describe()
        if differs:
            notes.append(f"{name} is {differs}: read as such")
    return notes


def _sample_submission(data_dir: Path, csvs: Sequence[str]) -> str:
    found = [c for c in csvs if _SAMPLE.match(c)]
    if not found:
        raise FileNotFoundError(
            f"no sample_submission.csv in {data_dir} (found: {', '.join(csvs) or 'no CSV'}): "
            "the test ids and the submission's columns come from it; download the complete "
            "competition data")
    return "sample_submission.csv" if "sample_submission.csv" in found else found[0]
