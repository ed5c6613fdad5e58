"""The train labels of a resolved layout, as text: what the planner's checks read."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shared.sources.layout import SourceLayout
from shared.sources.layouts import layout_kind

__all__ = ["train_labels"]


def train_labels(layout: SourceLayout, data_dir: str | Path) -> np.ndarray:
    """Every train row's label, as written (by the layout's record)."""
    return layout_kind(layout.kind).train_columns(layout, Path(data_dir)).labels
