"""Sizing for Kaggle's machines: shards that fit a kernel's budget, decoders for its cores.

- ``[store] shard_bytes`` is the largest shard wanted. When a kernel's budget
  (``[plan] kernel_budget``) could not hold ``SHARDS_PER_KERNEL`` such shards, the planner
  lowers the shard size to a ``SHARDS_PER_KERNEL``-th of the budget (never below one
  sample), so a small budget alone gives several kernels of several shards. Only a budget
  smaller than one image's output is refused, with the numbers.
- ``[plan] decode_workers = 0`` means one decoding process per CPU core of the machine the
  kernel runs on: the plan counts ``KAGGLE_CPU_CORES`` (what a Kaggle session has); a kernel
  uses the cores it finds (``os.sched_getaffinity``).
"""

from __future__ import annotations

import dataclasses

from shared.units import format_size
from shared.store.manifest import SPLITS, DatasetSpec
from shared.store.sharding import PlannedShard, WriterOptions, row_bytes

__all__ = ["SHARDS_PER_KERNEL", "KAGGLE_CPU_CORES", "fit_shards", "one_image_bytes",
           "planned_decoders"]

SHARDS_PER_KERNEL = 4
KAGGLE_CPU_CORES = 4  # CPU and GPU sessions alike (2026)


def one_image_bytes(spec: DatasetSpec) -> int:
    """The output of a shard holding one row (pixels, label or id, ``.npy`` headers): the
    least a kernel's budget must hold."""
    return max(PlannedShard(split, 0, 1).planned_bytes(spec) for split in SPLITS
               if spec.split_rows.get(split))


def fit_shards(spec: DatasetSpec, options: WriterOptions, kernel_budget: int) -> WriterOptions:
    """``options`` with ``shard_bytes`` lowered so that ``kernel_budget`` holds several."""
    least = one_image_bytes(spec)
    if kernel_budget < least:
        height, width, channels = spec.sample_shape
        raise ValueError(
            f"[plan] kernel_budget = {format_size(kernel_budget)} ({kernel_budget} bytes) is "
            f"smaller than one image's output ({least} bytes: one {height}x{width}x{channels} "
            "sample with its label or id and the .npy headers): raise [plan] kernel_budget "
            f"(--disk-budget) to at least {least} bytes, or lower [source] image_size")
    cap = kernel_budget // SHARDS_PER_KERNEL
    if options.shard_bytes <= cap:
        return options
    widest = max(row_bytes(spec, split) for split in SPLITS if spec.split_rows.get(split))
    return dataclasses.replace(options, shard_bytes=max(cap, widest))


def planned_decoders(decode_workers: int) -> int:
    """Decoding processes per kernel on Kaggle: the setting, or one per core when 0."""
    return decode_workers or KAGGLE_CPU_CORES
