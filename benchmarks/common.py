"""Helpers the benchmarks share: data, shard writing, memory readings, the JSON line."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from shared.store import DatasetSpec, RowRange, ShardSet, ShardWriter, WriterOptions

__all__ = ["fashion_mnist_train", "write_shards", "proc_status_kb", "emit", "timed", "ROOT"]


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
                 copies: int = 1) -> ShardSet:
    """``copies`` repetitions of ``(x, y)`` as one kernel's output of ``shard_files`` shards."""
    n = len(x) * copies
    spec = DatasetSpec(sample_shape=tuple(x.shape[1:]), split_rows={"train": n},
                       classes=tuple(range(10)), stored_ids=())
    row_bytes = int(np.prod(x.shape[1:])) + 1
    rows_per_shard = -(-n // shard_files)
    options = WriterOptions(shard_bytes=rows_per_shard * row_bytes)
    with ShardWriter(folder, spec=spec, ranges=[RowRange("train", 0, n)], producer="bench",
                     options=options) as writer:
        for c in range(copies):
            writer.add_batch("train", c * len(x), x, y)
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
