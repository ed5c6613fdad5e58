"""What the layout rules read (``LayoutEvidence``), what they return (``Detection``), and what
each rule is (``LayoutRule``).

A rule looks at the competition folder and either claims its layout, returning the resolved
``Detection``, or passes, returning why not (the refusal lists every rule's reason when none
claims). Rules are tried in ``order``; the first claim wins. ``[source] layout`` names one
rule, which must then claim or say what is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from shared.config import SourceConfig
from shared.registry import Registry
from shared.sources.images import ImageIndex
from shared.sources.layout import SourceLayout
from shared.sources.tables import read_columns

__all__ = ["Detection", "LayoutEvidence", "LayoutRule", "LAYOUT_RULES", "register_layout_rule",
           "TRAIN_NAMES"]

TRAIN_NAMES = ("train.csv", "train_labels.csv", "trainlabels.csv", "labels.csv",
               "train_label.csv", "training_labels.csv")


@dataclass(frozen=True)
class Detection:
    """The resolved layout, and what the plan should say about how it was decided."""

    layout: SourceLayout
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayoutEvidence:
    """The competition folder as the rules see it: its CSVs, the sample submission and its
    id column, the ``[source]`` settings; the image index and the test ids on demand."""

    data_dir: Path
    source: SourceConfig
    csvs: tuple[str, ...]
    common: dict[str, Any] = field(hash=False)  # SourceLayout fields every layout shares

    @property
    def sample(self) -> str:
        return self.common["sample_submission"]

    @property
    def id_column(self) -> str:
        return self.common["id_column"]

    @cached_property
    def index(self) -> ImageIndex:
        """Every image below the folder, inside its zip archives too."""
        return ImageIndex(self.data_dir, archives=True)

    @cached_property
    def test_ids(self) -> np.ndarray:
        return read_columns(self.data_dir / self.sample, [self.id_column])[self.id_column]

    @cached_property
    def train_csv(self) -> str:
        """The labels CSV: ``[source] train_csv``, else one named like it; "" when none is."""
        if self.source.train_csv:
            if not (self.data_dir / self.source.train_csv).is_file():
                raise FileNotFoundError(f"{self.data_dir / self.source.train_csv} not found "
                                        "([source] train_csv)")
            return self.source.train_csv
        by_lower = {c.lower(): c for c in self.csvs}
        for name in TRAIN_NAMES:
            if name in by_lower:
                return by_lower[name]
        others = [c for c in self.csvs if c != self.sample
                  and re.search("train|label", c, re.IGNORECASE)]
        if len(others) > 1:
            raise ValueError(f"cannot tell which CSV holds the train labels (found: "
                             f"{', '.join(self.csvs)}): set [source] train_csv")
        return others[0] if others else ""


@dataclass(frozen=True)
class LayoutRule:
    """Claims layout ``name``: ``detect(evidence, forced)`` returns a ``Detection``, or a
    reason for passing ("" when there is nothing to say)."""

    name: str
    order: int
    detect: Callable[[LayoutEvidence, bool], "Detection | str"]


LAYOUT_RULES: Registry[LayoutRule] = Registry("layout rule", "[source] layout")


def register_layout_rule(name: str, order: int) -> Callable:
    """Decorator: ``detect`` becomes the rule for layout ``name``, tried at ``order``."""
    def add(detect: Callable[[LayoutEvidence, bool], "Detection | str"]) -> Callable:
        LAYOUT_RULES.add(name, LayoutRule(name, order, detect))
        return detect
    return add


def first(values: Sequence[str]) -> str:
    return repr(values[0]) if len(values) else "none"
