"""Competition shapes this pipeline does not handle, recognised and refused before planning.

The pipeline classifies (or regresses on) whole images that a folder or a CSV holds, and writes
``submission.csv``. Some competitions are of another shape, and would otherwise fail later
with a message about something else:

- scored through Kaggle's evaluation API (a ``kaggle_evaluation/`` package in the data): the
  notebook serves predictions to Kaggle's gateway, no ``submission.csv``;
- images inside HDF5 files (ISIC 2024's ``test-image.hdf5``);
- DICOM studies with per-patient ids (the RSNA series): refused where the planner finds
  ``.dcm`` files instead of images (``host.planning.locate``, which also says how to convert
  single DICOM images);
- segmentation: masks as run-length encodings (UW-Madison GI Tract, Airbus Ship Detection): a
  column named like ``EncodedPixels`` / ``segmentation``, or labels that are runs of
  ``start length`` pairs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from shared.sources.tables import read_header, stripped

__all__ = ["check_in_scope", "check_labels_in_scope", "OUT_OF_SCOPE"]

OUT_OF_SCOPE = ("segmentation masks (run-length encoded)", "DICOM studies",
                "images inside HDF5 files", "Kaggle's evaluation API")
_RLE_COLUMNS = re.compile(r"(encoded_?pixels|rle|segmentation|mask)", re.IGNORECASE)
_WHY = ("This pipeline classifies or regresses on whole images and writes submission.csv; "
        "competitions of this shape are out of its scope (see docs/code-competitions.md)")


def check_in_scope(data_dir: str | os.PathLike) -> None:
    """ValueError naming the evidence when the competition in ``data_dir`` is of a shape the
    pipeline does not handle (see the module docstring)."""
    data_dir = Path(data_dir)
    if (data_dir / "kaggle_evaluation").is_dir():
        raise ValueError(
            f"{data_dir} holds kaggle_evaluation/: this competition is scored through Kaggle's "
            "evaluation API (the submitted notebook serves predictions to Kaggle's gateway "
            f"instead of writing submission.csv). {_WHY}")
    hdf5 = sorted(p.name for p in data_dir.iterdir()
                  if p.is_file() and p.suffix.lower() in (".hdf5", ".h5"))
    if hdf5:
        raise ValueError(f"{data_dir} ships its images inside HDF5 files ({', '.join(hdf5)}), "
                         f"as ISIC 2024 does. {_WHY}")
    for csv in sorted(data_dir.glob("*.csv")):
        masks = [c for c in read_header(csv) if _RLE_COLUMNS.fullmatch(c.strip())]
        if masks:
            raise ValueError(f"{csv.name} has the column {masks[0]!r}: a segmentation "
                             f"competition (masks as run-length encodings). {_WHY}")


def _run_lengths(value: str) -> bool:
    """``start length`` pairs: increasing pixel offsets (class indices as tags stay small)."""
    tokens = value.split()
    if len(tokens) < 4 or len(tokens) % 2 or not all(t.isdigit() for t in tokens):
        return False
    starts = [int(t) for t in tokens[::2]]
    return all(a < b for a, b in zip(starts, starts[1:])) and starts[-1] >= 1000


def check_labels_in_scope(labels: Sequence[str], column: str, where: str) -> None:
    """ValueError when the labels are run-length encoded masks (``start length`` pairs)."""
    values = stripped(np.asarray(labels, dtype=object))
    values = [v for v in values[:1000] if v]
    if values and sum(map(_run_lengths, values)) >= 0.9 * len(values):
        raise ValueError(f"{where}: column {column!r} holds run-length encoded masks (e.g. "
                         f"{values[0][:40]!r}): a segmentation competition. {_WHY}")
