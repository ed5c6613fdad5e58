"""One competition per task kind, derived from Fashion-MNIST, through the whole dry run.

For ``benchmarks/quality.py --kinds``: each kind is a 6,000 train / 2,000 test competition
(``host.examples.task_competitions``), planned, preprocessed at 48x48 and trained for 5 epochs with the
article's CNN by the very kernels of ``scripts/dry_run.py``, then scored against its
``solution.csv`` with the competition's metric. The constant baseline is the same metric for
the training set's prior (class or tag frequencies, positive rate, mean value) on every row.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from host.dryrun import DryRunOptions, run_dry_run
from host.examples.task_competitions import TaskExample, write_task_example
from host.planning import make_plan
from host.settings import HostConfig
from shared.sources import read_split_rows
from shared.tasks import task_for

__all__ = ["KINDS", "TARGETS", "run_kind"]

KINDS = ("label", "binary-probability", "class-probabilities", "multi-label", "regression",
         "top-k")
# (the metric's target, and whether it is a ratio to the constant baseline)
TARGETS = {"binary-probability": (0.90, False), "class-probabilities": (0.45, False),
           "multi-label": (0.88, False), "regression": (0.65, True), "top-k": (0.90, False)}


def _baseline(config: HostConfig, root: Path) -> float:
    layout = make_plan(config).layout
    task = task_for(layout)
    prior = task.prior(read_split_rows(layout, root, "train").labels)
    solution = pd.read_csv(root / "solution.csv", dtype=str, keep_default_na=False)
    values = task.submission_values(np.tile(prior, (len(solution), 1)), {})
    return task.score(pd.DataFrame({c: list(v) for c, v in values.items()}).astype(str),
                      solution)


def run_kind(kind: str, base: Path, data: tuple, *, train: int, test: int, epochs: int,
             size: int) -> dict:
    """Build, dry-run and score one kind; the JSON entry for it."""
    x_train, y_train, x_test, y_test = data
    root = write_task_example(base / kind / "data", TaskExample(task=kind), x_train[:train],
                              y_train[:train], x_test[:test], y_test[:test])
    config = HostConfig().replace(
        competition={"slug": f"quality-{kind}", "data_dir": str(root)},
        source={"image_size": [size, size]}, train={"epochs": epochs, "model": "article"})
    start = time.perf_counter()
    report = run_dry_run(DryRunOptions(config=config, data_dir=root, workdir=base / kind / "w",
                                       echo=None))
    seconds = time.perf_counter() - start
    task = task_for(make_plan(config).layout)
    score, baseline = report["local_score"]["value"], _baseline(config, root)
    entry = {"metric": report["local_score"]["metric"], "value": round(score, 4),
             "constant_baseline": round(baseline, 4), "epochs": epochs,
             "seconds": round(seconds, 1)}
    if kind in TARGETS:
        target, relative = TARGETS[kind]
        if relative:
            entry["ratio_vs_baseline"] = round(score / baseline, 4)
            entry["target_ratio_vs_baseline"] = target
            entry["meets_target"] = score / baseline <= target
        else:
            entry["target"] = target
            entry["meets_target"] = score >= target if task.higher_is_better else score <= target
    if kind == "multi-label":
        entry["threshold"] = report["train_metrics"].get("threshold")
    return entry
