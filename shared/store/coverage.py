"""Checks that the shards of a split cover its rows ``[0, N)`` exactly once."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Sequence

from shared.store.manifest import PlanEntry, Reject, ShardRecord

__all__ = ["PlacedShard", "check_coverage", "CoverageError"]


class CoverageError(ValueError):
    """Shards of a split leave a gap, overlap, or disagree with their rejects."""


@dataclass(frozen=True)
class PlacedShard:
    """A shard record together with the manifest that lists it."""

    record: ShardRecord
    manifest: str
    producer: str


def _who_should(plan: Sequence[PlanEntry], split: str, start: int, stop: int) -> str:
    owners = sorted({p.kernel for p in plan
                     if p.split == split and p.start < stop and start < p.stop})
    if not owners:
        return ("no manifest records which kernel owns these rows: attach every preprocessing "
                "kernel's output")
    names = ", ".join(owners)
    return (f"the plan assigns them to {names}: attach that kernel's output as an input, or "
            f"re-run it if it did not finish")


def check_coverage(split: str, total: int, shards: Sequence[PlacedShard],
                   rejects: Sequence[Reject], plan: Sequence[PlanEntry], root: str) -> None:
    """Raise CoverageError naming the rows, the manifests and the kernel to fix."""
    rejected_rows = sorted(r.row for r in rejects if r.split == split)
    expected_next = 0
    previous: PlacedShard | None = None
    for placed in sorted(shards, key=lambda p: (p.record.start, p.record.stop)):
        rec = placed.record
        if rec.start > expected_next:
            raise CoverageError(
                f"{split} rows [{expected_next}, {rec.start}) are missing: no manifest under "
                f"{root} lists them; {_who_should(plan, split, expected_next, rec.start)}")
        if rec.start < expected_next:
            same = previous is not None and previous.producer == placed.producer
            hint = (f"both come from {placed.producer}: the same output is attached twice; "
                    "remove one of the two inputs") if same else (
                    "two kernels wrote the same rows: re-plan and re-run, or remove the stale "
                    "output")
            raise CoverageError(
                f"{split} rows [{rec.start}, {min(expected_next, rec.stop)}) overlap: listed in "
                f"{previous.manifest} and in {placed.manifest}; {hint}")
        in_range = _count_between(rejected_rows, rec.start, rec.stop)
        if rec.count != rec.stop - rec.start - in_range:
            raise CoverageError(
                f"{placed.manifest}: shard {split} [{rec.start}, {rec.stop}) holds {rec.count} "
                f"samples, expected {rec.stop - rec.start - in_range} ({rec.stop - rec.start} "
                f"rows minus {in_range} rejected); the manifest is inconsistent: re-run "
                f"{placed.producer}")
        expected_next = rec.stop
        previous = placed
    if expected_next < total:
        raise CoverageError(
            f"{split} rows [{expected_next}, {total}) are missing (the split has {total} rows); "
            f"{_who_should(plan, split, expected_next, total)}")
    if expected_next > total:
        raise CoverageError(f"{split} shards reach row {expected_next}, but the split has only "
                            f"{total} rows: the manifests disagree with the data set")


def _count_between(sorted_rows: Sequence[int], start: int, stop: int) -> int:
    return bisect.bisect_left(sorted_rows, stop) - bisect.bisect_left(sorted_rows, start)
