"""``regression``: numeric labels with fractions, on a dense scale, or a fractional sample;
never codes with a leading zero (``007``)."""

import numpy as np
import pandas as pd

from host.planning.task_rules.base import TaskEvidence, register_rule
from shared.sources.tables import stripped
from shared.tasks.base import examples

SCALE_MIN_VALUES = 30
SCALE_MIN_COVERAGE = 0.5


def _scale(numbers: np.ndarray) -> str:
    """Evidence that numeric labels are a regression target, or ""."""
    distinct = np.unique(numbers)
    if (distinct != np.round(distinct)).any():
        fractional = distinct[distinct != np.round(distinct)]
        return (f"labels are numbers with fractions ({len(distinct)} distinct values, e.g. "
                f"{examples([f'{v:g}' for v in fractional])})")
    span = distinct[-1] - distinct[0] + 1
    if len(distinct) > SCALE_MIN_VALUES and len(distinct) / span >= SCALE_MIN_COVERAGE:
        return (f"labels are integers on a numeric scale: {len(distinct)} distinct values "
                f"cover {len(distinct) / span:.0%} of {distinct[0]:g}..{distinct[-1]:g}")
    return ""


def _codes(labels: np.ndarray) -> bool:
    """Labels with a leading zero (``007``) are codes, not quantities."""
    return bool(pd.Series(stripped(labels)).str.match(r"[-+]?0[0-9]").any())


@register_rule("regression", order=50)
def numeric_target(e: TaskEvidence) -> str:
    numbers = e.label_numbers
    if numbers is None or _codes(e.labels):
        return ""
    evidence = _scale(numbers)
    if not evidence and e.fractional_sample and len(np.unique(numbers)) > 2:
        evidence = (f"labels are numbers and {e.where} holds non-integer values, e.g. "
                    f"{e.values[0]!r}")
    return evidence
