"""The train labels of a resolved layout, as text: what the planner's checks read."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shared.sources.layout import SourceLayout
from shared.sources.tables import read_columns

__all__ = ["train_labels"]


def train_labels(layout: SourceLayout, data_dir: str | Path) -> np.ndarray:
    """Every train row's label, as written."""
    return read_columns(Path(data_dir) / layout.train_csv, [layout.label_column])[
        layout.label_column]
