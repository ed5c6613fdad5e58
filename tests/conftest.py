"""Shared fixtures: tiny real Fashion-MNIST images and a helper that writes kernel outputs."""

from __future__ import annotations

import os
import signal
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from shared.store import DatasetSpec, PlanEntry, RowRange, ShardWriter, WriterOptions

DATA = Path(__file__).parent / "data"


@pytest.fixture
def ctrl_c_reaches_children():
    """Ctrl-C as in a terminal: where this run ignores SIGINT (a shell starts a background
    job so, e.g. ``make test &``), children would inherit the ignoring and Python in them
    would never raise KeyboardInterrupt. A handler, unlike SIG_IGN, is reset by exec."""
    previous = signal.getsignal(signal.SIGINT)
    if previous == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="session")
def fmnist() -> dict[str, np.ndarray]:
    """600 train + 100 test real Fashion-MNIST images as (n, 28, 28, 1) uint8, with labels."""
    with np.load(DATA / "fashion_mnist_tiny.npz") as z:
        return {"x_train": z["x_train"][..., None], "y_train": z["y_train"].astype(np.int64),
                "x_test": z["x_test"][..., None], "y_test": z["y_test"].astype(np.int64)}


def make_spec(n_train: int, n_test: int = 0, **kw) -> DatasetSpec:
    splits = {"train": n_train, **({"test": n_test} if n_test else {})}
    defaults = dict(sample_shape=(28, 28, 1), split_rows=splits, classes=tuple(range(10)),
                    id_width=8, stored_ids=("test",))
    return DatasetSpec(**{**defaults, **kw})


def write_output(out_dir, spec: DatasetSpec, ranges, data: dict, *, producer="preprocess-00",
                 shard_bytes=8_000, plan=(), rejects=frozenset(), **writer_kw):
    """Write ``ranges`` of ``data`` (x_train, y_train, x_test) like a preprocessing kernel;
    rows in ``rejects`` ((split, row) pairs) are rejected instead of written."""
    with ShardWriter(out_dir, spec=spec, ranges=ranges, producer=producer,
                     options=WriterOptions(shard_bytes=shard_bytes,
                                           **writer_kw.pop("options", {})),
                     plan=plan, **writer_kw) as writer:
        for r in writer.pending():
            for row in range(r.start, r.stop):
                if (r.split, row) in rejects:
                    writer.reject(r.split, row, f"{r.split}{row}", "unreadable image")
                elif r.split == "train":
                    writer.add("train", row, data["x_train"][row], label=int(data["y_train"][row]))
                else:
                    writer.add("test", row, data["x_test"][row], id=f"t{row}")
    return writer


def split_plan(n: int, kernels: int, split: str = "train") -> list[PlanEntry]:
    edges = np.linspace(0, n, kernels + 1).astype(int)
    return [PlanEntry(f"preprocess-{k:02d}", split, int(a), int(b))
            for k, (a, b) in enumerate(zip(edges, edges[1:]))]


@pytest.fixture
def multi_kernel_output(tmp_path, fmnist):
    """Three kernels' outputs for 600 train rows, mounted in Kaggle's two layouts."""
    spec = make_spec(600, 100)
    plan = split_plan(600, 3) + [PlanEntry("preprocess-02", "test", 0, 100)]
    root = tmp_path / "input"
    dirs = [root / "notebooks" / "alice" / "preprocess-00", root / "preprocess-01",
            root / "notebooks" / "alice" / "preprocess-02"]
    for k, (entry, out) in enumerate(zip(plan[:3], dirs)):
        ranges = [RowRange("train", entry.start, entry.stop)]
        if k == 2:
            ranges.append(RowRange("test", 0, 100))
        write_output(out, spec, ranges, fmnist, producer=entry.kernel, plan=plan)
    return root, spec, plan
