"""Helpers the benchmarks share: data, shard writing, memory readings, the JSON line."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from shared.store import DatasetSpec, RowRange, ShardSet, ShardWriter, WriterOptions

__all__ = ["fashion_mnist_train", "write_shards", "proc_status_kb", "emit", "timed",
           "interleaved_ratios", "median_and_quartiles", "ROOT"]


def fashion_mnist_train(idx_dir: str | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """60k real images (n, 28, 28, 1) uint8 and labels; synthetic if the IDX files are absent."""
    from host.examples.idx import load_fashion_mnist

    try:
        x, y, _, _ = load_fashion_mnist(idx_dir)
        return x[..., None], y.astype(np.int64), "fashion-mnist"
    except FileNotFoundError as exc:
        print(f"note: {exc}; using synthetic images", file=sys.stderr)
        rng = np.random.default_rng(0)
        return (rng.integers(0, 256, (60000, 28, 28, 1), dtype=np.uint8),
                rng.integers(0, 10, 60000), "synthetic")


def write_shards(folder: Path, x: np.ndarray, y: np.ndarray, *, shard_files: int = 8,
                 copies: int = 1, test: np.ndarray | None = None) -> ShardSet:
    """``copies`` repetitions of ``(x, y)`` as one kernel's output of ``shard_files`` shards;
    with ``test``, those images as the test split too (ids ``t0``, ``t1`` ...)."""
    n = len(x) * copies
    splits = {"train": n, **({"test": len(test)} if test is not None else {})}
    spec = DatasetSpec(sample_shape=tuple(x.shape[1:]), split_rows=splits,
                       classes=tuple(range(10)), id_width=8,
                       stored_ids=("test",) if test is not None else ())
    row_bytes = int(np.prod(x.shape[1:])) + 1
    rows_per_shard = -(-n // shard_files)
    options = WriterOptions(shard_bytes=rows_per_shard * row_bytes)
    ranges = [RowRange("train", 0, n)] + ([RowRange("test", 0, len(test))]
                                          if test is not None else [])
    with ShardWriter(folder, spec=spec, ranges=ranges, producer="bench",
                     options=options) as writer:
        for c in range(copies):
            writer.add_batch("train", c * len(x), x, y)
        if test is not None:
            writer.add_batch("test", 0, test, ids=np.array([f"t{i}" for i in range(len(test))]))
    return ShardSet.discover(folder)


def proc_status_kb(field: str) -> int:
    """A field of /proc/self/status in kB (RssAnon, RssFile, VmHWM ...)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def emit(result: dict) -> None:
    """Print the result as one JSON object on the last line."""
    print(json.dumps(result, sort_keys=False))


def interleaved_ratios(measure_a: Callable[[], float], measure_b: Callable[[], float],
                       pairs: int) -> tuple[list[float], list[float], list[float]]:
    """``pairs`` ratios ``a / b`` of two rate measurements taken in the order A B B A A B ...
    (so drift and warm caches favour neither); also every A and every B value."""
    a_values, b_values, ratios = [], [], []
    for k in range(pairs):
        if k % 2 == 0:
            a, b = measure_a(), measure_b()
        else:
            b, a = measure_b(), measure_a()
        a_values.append(a)
        b_values.append(b)
        ratios.append(a / b)
    return ratios, a_values, b_values


def median_and_quartiles(values: list[float], digits: int = 3) -> tuple[float, list[float]]:
    """The median, and the first and third quartiles (inclusive method)."""
    median = round(statistics.median(values), digits)
    if len(values) < 2:
        return median, [median, median]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return median, [round(q[0], digits), round(q[2], digits)]
