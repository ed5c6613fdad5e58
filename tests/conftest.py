"""Shared fixtures: tiny real Fashion-MNIST images, kernel outputs; tests/e2e/ is all slow."""

from __future__ import annotations

import os
import signal
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from shard_fixtures import make_spec, split_plan, write_output
from shared.store import PlanEntry, RowRange

DATA = Path(__file__).parent / "data"


@pytest.fixture
def ctrl_c_reaches_children():
    """Ctrl-C as in a terminal: where this run ignores SIGINT (a shell starts a background
    job so, e.g. ``make test &``), neither this process nor its children (which inherit the
    ignoring) would raise KeyboardInterrupt. A handler, unlike SIG_IGN, is reset by exec."""
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


def pytest_collection_modifyitems(items):
    """Every test under tests/e2e/ runs whole kernels (dry runs, pushes): all are slow."""
    for item in items:
        if "e2e" in Path(str(item.path)).parts:
            item.add_marker(pytest.mark.slow)
