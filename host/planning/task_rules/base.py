"""What the task rules read (``TaskEvidence``) and what each is (``TaskRule``).

A rule looks at the train labels and the sample submission and either claims its task kind,
with the evidence the plan prints, or passes. Rules are tried in ``order``; the first claim
wins. A rule may also refuse a sample it recognises but cannot use (``unknown_shape``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable

import numpy as np
import pandas as pd

from shared.registry import Registry
from shared.sources.tables import classes_of, stripped
from shared.tasks import task_names

__all__ = ["Claim", "TaskEvidence", "TaskRule", "TASK_RULES", "register_rule", "numbers_of",
           "unknown_shape"]


def numbers_of(values) -> np.ndarray | None:
    """Float values if every one is a number, else None."""
    numbers = pd.to_numeric(pd.Series(stripped(np.asarray(values, dtype=object))),
                            errors="coerce").to_numpy(np.float64)
    return numbers if len(numbers) and np.isfinite(numbers).all() else None


def unknown_shape(sample: pd.DataFrame, where: str, id_column: str, detail: str) -> ValueError:
    """The refusal of a sample submission no task kind writes."""
    row = ", ".join(f"{c}={v!r}" for c, v in sample.iloc[0].items())
    return ValueError(
        f"{where} has columns {list(sample.columns)} (e.g. row 0: {row}): {detail}. The "
        f"pipeline writes the id column {id_column!r} plus one value column, or one probability "
        f"column per class. Set [competition] task to one of {', '.join(task_names())} if one "
        "fits; otherwise this submission format is not supported")


@dataclass(frozen=True)
class TaskEvidence:
    """The train labels (text), the sample submission and its value ``columns``."""

    labels: np.ndarray
    sample: pd.DataFrame
    columns: tuple[str, ...]
    where: str  # the sample's file name, for the evidence
    id_column: str

    @cached_property
    def classes(self) -> list[str]:
        return [str(c) for c in classes_of(self.labels)]

    @cached_property
    def values(self) -> list[str]:
        """The first value column's cells, as text."""
        return self.sample[self.columns[0]].astype(str).tolist()

    @cached_property
    def sample_numbers(self) -> np.ndarray | None:
        return numbers_of(self.values)

    @cached_property
    def label_numbers(self) -> np.ndarray | None:
        return numbers_of(self.labels)

    @property
    def fractional_sample(self) -> bool:
        """The sample's values are numbers, some of them not integers (``0.5``)."""
        numbers = self.sample_numbers
        return numbers is not None and bool((numbers != np.round(numbers)).any())


@dataclass(frozen=True)
class Claim:
    """A rule's claim: the ``evidence`` the plan prints, and a ``note`` on what the guess may
    have missed (how to ask for another kind)."""

    evidence: str
    note: str = ""


@dataclass(frozen=True)
class TaskRule:
    """Claims task kind ``name`` when ``detect`` returns evidence, a ``Claim`` or a string
    ("" passes)."""

    name: str
    order: int
    detect: Callable[[TaskEvidence], "str | Claim"]


TASK_RULES: Registry[TaskRule] = Registry("task rule", "a task rule")


def register_rule(name: str, order: int) -> Callable:
    """Decorator: ``detect`` becomes the rule for task kind ``name``, tried at ``order``."""
    def add(detect: Callable[[TaskEvidence], str]) -> Callable[[TaskEvidence], str]:
        TASK_RULES.add(name, TaskRule(name, order, detect))
        return detect
    return add
