"""The pure planner: a data set's shards split into preprocessing kernels under a byte budget.

Numbers in (rows per split and bytes per sample, both in a ``DatasetSpec``; shard limits;
the per-kernel budget; the most kernels allowed), kernels out. Shards larger than a quarter
of the budget are first made smaller (``host.planning.sizing``); the shards are then the
ones the ``ShardWriter`` will write (``plan_shards``) with the plan's ``shard_bytes``, and
each kernel's byte figure is the sum of their ``planned_bytes``: exactly what the writer
checks against the same budget.

Train shards come first, then test shards, as one sequence cut into contiguous pieces, so a
kernel may hold the end of the train split and the start of the test split: no kernel is
spent on a small test split alone. The pieces are balanced: the fewest kernels that fit the
budget, with the largest share as small as possible, since the kernels run in parallel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from host.bundle.folder import kernel_title
from host.planning.sizing import KAGGLE_CPU_CORES, fit_shards, planned_decoders
from shared.units import format_size
from shared.store.sharding import PlannedShard, WriterOptions, plan_shards
from shared.store.manifest import SPLITS, DatasetSpec, PlanEntry, RowRange

__all__ = ["KernelShare", "KernelPlan", "plan_kernels", "preprocess_slug", "train_slug",
           "fold_slug", "blend_slug", "infer_slug", "check_slug_prefix"]

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_TITLE = 50
MIN_TITLE = 5


def preprocess_slug(prefix: str, k: int) -> str:
    return f"{prefix}-preprocess-{k:02d}"


def train_slug(prefix: str) -> str:
    return f"{prefix}-train"


def fold_slug(prefix: str, fold: int) -> str:
    return f"{prefix}-train-fold-{fold}"


def blend_slug(prefix: str) -> str:
    return f"{prefix}-blend"


def infer_slug(prefix: str) -> str:
    return f"{prefix}-infer"


def check_slug_prefix(prefix: str, kernels: int, folds: int = 1) -> None:
    """Refuse a prefix whose kernel slugs Kaggle would not accept as titles."""
    if not _SLUG.fullmatch(prefix or ""):
        raise ValueError(f"kernel slug prefix {prefix!r}: expected lowercase letters, digits and "
                         "single hyphens, e.g. 'digit-recognizer'; set [kaggle] slug_prefix")
    trains = (train_slug(prefix),) if folds == 1 else (fold_slug(prefix, folds - 1),
                                                        blend_slug(prefix))
    for slug in (preprocess_slug(prefix, max(kernels - 1, 0)), *trains, infer_slug(prefix)):
        title = kernel_title(slug)
        if not MIN_TITLE <= len(title) <= MAX_TITLE:
            longest = MAX_TITLE - (len(slug) - len(prefix))
            raise ValueError(
                f"kernel slug {slug!r} gives the title {title!r} ({len(title)} characters); "
                f"Kaggle accepts {MIN_TITLE} to {MAX_TITLE}: set [kaggle] slug_prefix to at "
                f"most {longest} characters (now {prefix!r}, {len(prefix)})")


@dataclass(frozen=True)
class KernelShare:
    """One preprocessing kernel's rows, shards and output bytes."""

    kernel: str
    ranges: tuple[RowRange, ...]
    shards: int
    bytes: int

    @property
    def rows(self) -> int:
        return sum(len(r) for r in self.ranges)


@dataclass(frozen=True)
class KernelPlan:
    """Every preprocessing kernel's share, and the train kernel that reads them all.

    ``shard_bytes`` is the shard size the kernels must use (``[store] shard_bytes``, or
    smaller when the budget called for it: ``shard_bytes_asked``); ``decode_workers`` is
    ``[plan] decode_workers`` (0: one per core), ``decoders`` what that means on Kaggle."""

    shares: tuple[KernelShare, ...]
    train_kernel: str
    kernel_budget: int
    largest_shard: int
    shard_bytes: int = 0
    shard_bytes_asked: int = 0
    decode_workers: int = 0

    @property
    def decoders(self) -> int:
        """Decoding processes per kernel on Kaggle's machines."""
        return planned_decoders(self.decode_workers)

    @property
    def sources(self) -> tuple[str, ...]:
        """The train kernel's ``kernel_sources``: every preprocessing kernel."""
        return tuple(s.kernel for s in self.shares)

    def entries(self) -> tuple[PlanEntry, ...]:
        """The plan as the manifests record it: one entry per kernel and split."""
        return tuple(PlanEntry(s.kernel, r.split, r.start, r.stop)
                     for s in self.shares for r in s.ranges)

    def table(self) -> str:
        """A readable table: one line per kernel, then totals."""
        rows = [(s.kernel, " + ".join(str(r).replace(" rows", "") for r in s.ranges),
                 str(s.rows), str(s.shards), format_size(s.bytes)) for s in self.shares]
        head = ("kernel", "rows", "count", "shards", "output")
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        line = lambda r: "  ".join(v.ljust(w) if i < 2 else v.rjust(w)  # noqa: E731
                                   for i, (v, w) in enumerate(zip(r, widths))).rstrip()
        total = sum(s.bytes for s in self.shares)
        lowered = (f" ([store] shard_bytes {format_size(self.shard_bytes_asked)} lowered to "
                   f"{format_size(self.shard_bytes)} so each kernel holds several)"
                   if self.shard_bytes < self.shard_bytes_asked else "")
        decoders = f"; {self.decoders} decoding processes per kernel " + (
            f"(one per core of Kaggle's {KAGGLE_CPU_CORES})" if not self.decode_workers
            else "([plan] decode_workers)")
        return "\n".join([
            line(head), *map(line, rows),
            f"{len(self.shares)} preprocessing kernel(s), {sum(s.rows for s in self.shares)} "
            f"rows, {format_size(total)} in all; budget {format_size(self.kernel_budget)} per "
            f"kernel, shards up to {format_size(self.largest_shard)}{lowered}{decoders}",
            f"then {self.train_kernel} reads the outputs of: {', '.join(self.sources)}"])


def plan_kernels(spec: DatasetSpec, options: WriterOptions, *, kernel_budget: int,
                 max_kernels: int, prefix: str, decode_workers: int = 0) -> KernelPlan:
    """Split ``spec``'s rows into the fewest balanced kernels of at most ``kernel_budget``."""
    if not any(spec.split_rows.get(s) for s in SPLITS):
        raise ValueError(f"nothing to preprocess: the data set has no rows ({spec.split_rows})")
    asked = options.shard_bytes
    options = fit_shards(spec, options, kernel_budget)
    shards = plan_shards(spec, [RowRange(s, 0, spec.split_rows[s]) for s in SPLITS
                                if spec.split_rows.get(s)], options)
    sizes = [s.planned_bytes(spec) for s in shards]
    largest = max(sizes)
    if largest > kernel_budget:
        shard = shards[sizes.index(largest)]
        raise ValueError(
            f"[plan] kernel_budget = {format_size(kernel_budget)} is smaller than one shard "
            f"({format_size(largest)}: {len(shard.rows)} {shard.split} rows of "
            f"{largest // len(shard.rows)} bytes): raise [plan] kernel_budget, or lower "
            "[store] shard_bytes or [store] max_shard_rows")
    count = len(_pack(sizes, kernel_budget))
    if count > max_kernels:
        raise ValueError(
            f"the data needs {count} preprocessing kernels ({format_size(sum(sizes))} of shards, "
            f"at most {format_size(kernel_budget)} per kernel), more than [plan] max_kernels = "
            f"{max_kernels}: raise [plan] max_kernels to {count}, raise [plan] kernel_budget "
            "(Kaggle keeps about 20 GB per kernel), or lower [source] image_size / channels")
    check_slug_prefix(prefix, count)
    cap = _balanced_cap(sizes, count, low=max(largest, -(-sum(sizes) // count)),
                        high=kernel_budget)
    shares = tuple(_share(preprocess_slug(prefix, k), shards[a:b], sizes[a:b])
                   for k, (a, b) in enumerate(_pack(sizes, cap)))
    return KernelPlan(shares=shares, train_kernel=train_slug(prefix),
                      kernel_budget=kernel_budget, largest_shard=largest,
                      shard_bytes=options.shard_bytes, shard_bytes_asked=asked,
                      decode_workers=decode_workers)


def _pack(sizes: Sequence[int], cap: int) -> list[tuple[int, int]]:
    """Greedy contiguous pieces of at most ``cap`` bytes (the fewest such pieces)."""
    pieces, start, used = [], 0, 0
    for i, size in enumerate(sizes):
        if used + size > cap and i > start:
            pieces.append((start, i))
            start, used = i, 0
        used += size
    pieces.append((start, len(sizes)))
    return pieces


def _balanced_cap(sizes: Sequence[int], count: int, *, low: int, high: int) -> int:
    """The smallest cap that still packs ``sizes`` into ``count`` pieces (binary search)."""
    while low < high:
        mid = (low + high) // 2
        if len(_pack(sizes, mid)) <= count:
            high = mid
        else:
            low = mid + 1
    return low


def _share(kernel: str, shards: Sequence[PlannedShard], sizes: Sequence[int]) -> KernelShare:
    ranges: list[RowRange] = []
    for s in shards:
        if ranges and ranges[-1].split == s.split and ranges[-1].stop == s.start:
            ranges[-1] = RowRange(s.split, ranges[-1].start, s.stop)
        else:
            ranges.append(s.rows)
    return KernelShare(kernel=kernel, ranges=tuple(ranges), shards=len(shards), bytes=sum(sizes))
