"""What every source layout provides: where a competition's train rows, labels and pixels are.

A layout kind is one record, a ``SourceKind`` subclass in a module of its own that registers
itself (``@register_layout``), as task kinds and model families do: ``shared.sources.layouts``
imports every module of the package, so a new layout is a new file. Its detection rule, which
runs on the user's machine only, lives in ``host/planning/layout_rules/<kind>.py``.

Every layout takes its test rows from ``sample_submission.csv``; the record says how the train
rows come: from a labels CSV, a pixel CSV, or the image files themselves (``listed``: their
names or folders carry the labels, and the sorted listing is the row order).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Iterator

import numpy as np

from shared.registry import Registry

if TYPE_CHECKING:
    from shared.sources.layout import SourceLayout

__all__ = ["SourceKind", "TrainColumns", "SOURCE_KINDS", "register_layout"]

SOURCE_KINDS: Registry[type["SourceKind"]] = Registry("source layout", "[source] layout")


@dataclass(frozen=True)
class TrainColumns:
    """Train rows ``[start, start + len)`` as text: ids, labels, and the names that locate
    their images (None: the pixels are in a CSV); ``where`` and ``label_column`` name them in
    messages."""

    ids: np.ndarray
    labels: np.ndarray
    names: np.ndarray | None
    where: str
    id_column: str
    label_column: str
    table: dict | None = None  # the CSV columns read, for the blank-row check


class SourceKind:
    """One way a competition ships its train rows (see the module docstring)."""

    name: ClassVar[str]
    pixels_in_csv: ClassVar[bool] = False  # rows carry pixel values, not image files
    listed: ClassVar[bool] = False  # train rows are the image files of ``train_dir``

    @classmethod
    def check(cls, layout: "SourceLayout") -> None:
        """ValueError when ``layout`` lacks what this kind needs."""

    @classmethod
    def labels_from(cls, layout: "SourceLayout") -> str:
        """Where the labels are, for the plan: ``train.csv``."""
        return layout.train_csv

    @classmethod
    def train_columns(cls, layout: "SourceLayout", data_dir: Path, start: int = 0,
                      stop: int | None = None) -> TrainColumns:
        """Train rows ``[start, stop)`` (``stop=None``: to the end)."""
        raise NotImplementedError

    @classmethod
    def listing_parts(cls, layout: "SourceLayout", data_dir: Path) -> Iterator[str]:
        """What the source fingerprint holds beside the CSVs and archives: for a listed
        layout, each train file's name and size."""
        return iter(())


def register_layout(cls: type[SourceKind]) -> type[SourceKind]:
    """Class decorator: register a layout kind under its ``name``."""
    return SOURCE_KINDS.add(cls.name, cls)
