"""Sharding: the deterministic split of assigned row ranges into shard files.

The layout is a pure function of the assignment and the size limits, so a re-run of the
same job plans the same shards and can resume at the first one that is missing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from shared.checks import check_int
from shared.config import PipelineConfig
from shared.units import format_size
from shared.store.manifest import DatasetSpec, RowRange
from shared.store.npy import npy_file_size

__all__ = ["PlannedShard", "WriterOptions", "plan_shards", "rows_per_shard", "row_bytes",
           "job_fingerprint", "check_ranges"]


@dataclass(frozen=True)
class WriterOptions:
    """Shard size limits and the kernel's output budget (0 = unlimited)."""

    shard_bytes: int = 256 * 2**20
    max_shard_rows: int = 0
    budget_bytes: int = 0

    def __post_init__(self) -> None:
        check_int("WriterOptions.shard_bytes", self.shard_bytes)
        check_int("WriterOptions.max_shard_rows", self.max_shard_rows, minimum=0)
        check_int("WriterOptions.budget_bytes", self.budget_bytes, minimum=0)

    @classmethod
    def from_config(cls, config: PipelineConfig) -> "WriterOptions":
        """``[store] shard_bytes``, ``max_shard_rows`` and ``[plan] kernel_budget``: the limits
        that both the planner and the preprocessing kernels use."""
        return cls(shard_bytes=config.store.shard_bytes,
                   max_shard_rows=config.store.max_shard_rows,
                   budget_bytes=config.plan.kernel_budget)


@dataclass(frozen=True)
class PlannedShard:
    """One shard to write: its rows and the final file names."""

    split: str
    start: int
    stop: int

    @property
    def stem(self) -> str:
        return f"{self.split}-{self.start:010d}"

    def file_name(self, key: str) -> str:
        return f"{self.stem}-{key}.npy"

    @property
    def rows(self) -> RowRange:
        return RowRange(self.split, self.start, self.stop)

    def planned_bytes(self, spec: DatasetSpec) -> int:
        """Bytes of all its files at full capacity (no rejected rows)."""
        n = self.stop - self.start
        return sum(npy_file_size((n, *shape), dtype)
                   for shape, dtype in spec.sample_files(self.split).values())


def row_bytes(spec: DatasetSpec, split: str) -> int:
    """Bytes one row of ``split`` adds to a shard's files (pixels, label, id)."""
    return sum(int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
               for shape, dtype in spec.sample_files(split).values())


def rows_per_shard(spec: DatasetSpec, split: str, options: WriterOptions) -> int:
    """Rows in each full shard of ``split``: the byte limit, capped by the row limit."""
    size = row_bytes(spec, split)
    rows = options.shard_bytes // size
    if rows < 1:
        raise ValueError(
            f"shard_bytes {format_size(options.shard_bytes)} is smaller than one {split} sample "
            f"({size} bytes): raise [store] shard_bytes above {size}")
    if options.max_shard_rows:
        rows = min(rows, options.max_shard_rows)
    return int(rows)


def check_ranges(spec: DatasetSpec, ranges: Sequence[RowRange]) -> None:
    """Assigned ranges must lie inside their split and must not overlap."""
    by_split: dict[str, list[RowRange]] = {}
    for r in ranges:
        total = spec.split_rows.get(r.split)
        if total is None:
            raise ValueError(f"{r} is assigned, but the data set has no {r.split!r} split "
                             f"(split_rows: {dict(spec.split_rows)})")
        if r.stop > total:
            raise ValueError(f"{r} is assigned, but the {r.split} split has only {total} rows")
        by_split.setdefault(r.split, []).append(r)
    for split, items in by_split.items():
        items.sort(key=lambda r: r.start)
        for a, b in zip(items, items[1:]):
            if b.start < a.stop:
                raise ValueError(f"assigned ranges overlap: {a} and {b}")


def plan_shards(spec: DatasetSpec, ranges: Sequence[RowRange],
                options: WriterOptions) -> list[PlannedShard]:
    """The shards for ``ranges``, in the order given, each at most one shard's rows."""
    check_ranges(spec, ranges)
    shards = []
    for r in ranges:
        step = rows_per_shard(spec, r.split, options)
        for start in range(r.start, r.stop, step):
            shards.append(PlannedShard(r.split, start, min(start + step, r.stop)))
    return shards


def job_fingerprint(spec: DatasetSpec, shards: Sequence[PlannedShard],
                    source_fingerprint: str) -> str:
    """Identifies what a writer produces; a resume must match it exactly."""
    payload = {"spec": asdict(spec), "shards": [asdict(s) for s in shards],
               "source": source_fingerprint}
    payload["spec"]["classes"] = [repr(c) for c in spec.classes]
    text = json.dumps(payload, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
