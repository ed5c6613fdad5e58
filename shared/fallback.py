"""How many test rows may go without an image before a submission is refused.

A test row whose image preprocessing rejected (missing, truncated, unreadable) cannot be
predicted: it gets the task's prior (the most frequent class, the mean ...). A few such rows
cost a little score; many make a submission that looks finished and is mostly one constant.
``[competition] max_fallback_fraction`` (default 0.01) is the share of test rows that may
take the fallback; more is refused, naming the count, a few ids and the threshold. The train
kernel checks it from the manifests before training, the dry run before it runs the train
kernel, and ``push.py --submit`` from the train kernel's ``metrics.json`` before submitting.

Imports nothing heavy: the push and the dry run use it without loading Keras.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

__all__ = ["FallbackRefused", "FallbackRows", "SETTING"]

SETTING = "[competition] max_fallback_fraction"
_LISTED_IDS = 5


class FallbackRefused(ValueError):
    """More test rows lack an image than ``[competition] max_fallback_fraction`` allows."""


@dataclass(frozen=True)
class FallbackRows:
    """The test rows that get the fallback prediction: how many, of how many, which."""

    rows: int
    total: int
    ids: tuple[str, ...] = ()  # the first few
    reasons: Mapping[str, int] = field(default_factory=dict)  # "truncated image": 3

    @classmethod
    def from_rejects(cls, rejects: Iterable[Any], total: int) -> "FallbackRows":
        """From the manifests' rejects (objects with ``split``, ``id`` and ``reason``)."""
        test = sorted((r for r in rejects if r.split == "test"), key=lambda r: r.row)
        kinds = Counter(str(r.reason).split(":")[0] for r in test)
        return cls(rows=len(test), total=int(total), ids=tuple(str(r.id) for r in test[:20]),
                   reasons=dict(kinds))

    @classmethod
    def from_metrics(cls, metrics: Mapping[str, Any]) -> "FallbackRows":
        """From a train kernel's ``metrics.json`` (no ``fallback`` entry: none)."""
        fallback = metrics.get("fallback")
        fallback = fallback if isinstance(fallback, Mapping) else {}
        rows = fallback.get("rows", metrics.get("test_rows_rejected", 0))
        total = metrics.get("test_rows", 0)
        reasons = fallback.get("reasons", {})
        return cls(rows=rows if isinstance(rows, int) else 0,
                   total=total if isinstance(total, int) else 0,
                   ids=tuple(str(i) for i in fallback.get("ids", ()) or ()),
                   reasons=dict(reasons) if isinstance(reasons, Mapping) else {})

    def allowed(self, max_fraction: float) -> int:
        """How many rows the threshold lets through (rounded down)."""
        return math.floor(max_fraction * self.total + 1e-9)

    def describe(self) -> str:
        """``3 of 1000 test rows (0.3%) have no usable image (truncated image: 3)``."""
        share = f" ({self.rows / self.total:.1%})" if self.total else ""
        why = ", ".join(f"{kind}: {n}" for kind, n in sorted(self.reasons.items()))
        return (f"{self.rows} of {self.total} test rows{share} have no usable image"
                + (f" ({why})" if why else ""))

    def ids_text(self) -> str:
        shown = ", ".join(repr(i) for i in self.ids[:_LISTED_IDS])
        more = self.rows - min(len(self.ids), _LISTED_IDS)
        return shown + (f" and {more} more" if more > 0 else "")

    def check(self, max_fraction: float, *, outcome: str,
              listed: str = "each preprocessing kernel's manifest.json lists them under "
                            "rejects, with the reason") -> None:
        """``FallbackRefused`` when more rows than ``max_fraction`` allows take the fallback;
        ``outcome`` says what was held back (``no submission.csv was written``), ``listed``
        where the rows are listed."""
        allowed = self.allowed(max_fraction)
        if self.rows <= allowed:
            return
        raise FallbackRefused(
            f"{self.describe()}, e.g. ids {self.ids_text()}. Each would get the same fallback "
            f"prediction (the training set's prior), more than {SETTING} = {max_fraction:g} "
            f"allows ({allowed} of {self.total}), so {outcome}. Fix or replace those images "
            f"({listed}), or raise {SETTING} to accept the fallback rows")
