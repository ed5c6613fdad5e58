"""Helpers for the training tests: an emulated Kaggle input root and a hand-made assignment.

The root holds two preprocessing kernels' outputs (mounted in Kaggle's two layouts) and the
competition folder with its ``sample_submission.csv``, like ``/kaggle/input`` of the train
kernel.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shard_fixtures import make_spec, split_plan, write_output
from shared.assignment import TrainAssignment
from shared.config import PipelineConfig
from shared.sources.layout import SourceLayout
from shared.store import PlanEntry, RowRange
from shared.tasks import task_for
from shared.training.settings import choose_training

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")
COMPETITION = "fashion-mnist-demo"
FINGERPRINT = "sha256:test-source"


def sample_ids(n: int) -> list[str]:
    return [f"t{row}" for row in range(n)]


def make_input_root(root: Path, data: dict, *, n_train: int = 600, n_test: int = 100,
                    rejects=frozenset()) -> Path:
    """``root`` with shards of ``n_train`` + ``n_test`` real images and the competition."""
    spec = make_spec(n_train, n_test, classes=CLASSES, id_column="id", label_column="label")
    plan = split_plan(n_train, 2) + [PlanEntry("preprocess-01", "test", 0, n_test)]
    outs = [root / "notebooks" / "alice" / "fmnist-preprocess-00", root / "fmnist-preprocess-01"]
    for k, out in enumerate(outs):
        ranges = [RowRange("train", plan[k].start, plan[k].stop)]
        if k == 1:
            ranges.append(RowRange("test", 0, n_test))
        write_output(out, spec, ranges, data, producer=f"preprocess-{k:02d}", plan=plan,
                     shard_bytes=60_000, rejects=rejects, source_fingerprint=FINGERPRINT)
    competition = root / COMPETITION
    competition.mkdir(parents=True)
    pd.DataFrame({"id": sample_ids(n_test), "label": ["T-shirt/top"] * n_test}).to_csv(
        competition / "sample_submission.csv", index=False)
    return root


def make_assignment(n_train: int = 600, n_test: int = 100, **sections) -> TrainAssignment:
    """A train assignment for ``make_input_root``'s data; ``sections`` override settings."""
    config = PipelineConfig().replace(
        loader={"batch_size": 32, "validation_fraction": 0.1, **sections.pop("loader", {})},
        train={"epochs": 1, **sections.pop("train", {})}, **sections)
    layout = SourceLayout(kind="image_folder", train_csv="train.csv",
                          sample_submission="sample_submission.csv", id_column="id",
                          label_column="label", image_size=(28, 28), channels=1,
                          classes=CLASSES, split_rows={"train": n_train, "test": n_test})
    spec = make_spec(n_train, n_test, classes=CLASSES, id_column="id", label_column="label")
    return TrainAssignment(kernel="fmnist-train", competition=COMPETITION,
                           sources=("fmnist-preprocess-00", "fmnist-preprocess-01"), spec=spec,
                           source=layout, source_fingerprint=FINGERPRINT, config=config,
                           choices=choose_training(config, task_for(layout)))
