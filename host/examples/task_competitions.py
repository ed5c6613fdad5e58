"""Competitions of every task kind, derived from Fashion-MNIST's images and classes.

The targets come from the class and the pixels, so a model can learn them:

- ``label``, ``class-probabilities``, ``top-k``: the class name;
- ``binary-probability``: one class against the rest (``positive``; the default, shirts, is the
  hardest: they look like t-shirts, pullovers and coats);
- ``multi-label``: the kind of garment (top, trousers, dress, shoes, bag) plus ``dark`` when
  the image is darker than the median of its class, an attribute independent of the kind;
  in the training rows bags are never dark, so ``bag dark`` appears only in the test set;
- ``regression``: the image's mean brightness, in percent.

Each competition is an image folder (``train/``, ``test/`` PNGs, ``train.csv``,
``sample_submission.csv`` in the task's shape) with ``solution.csv`` beside it for local
scoring.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from host.examples.fashion_mnist import CLASSES, LICENSE, unique_ids, write_split
from shared.checks import check_choice, check_int

__all__ = ["TaskExample", "GROUPS", "brightness", "task_labels", "write_task_example"]

GROUPS = ("top", "trousers", "top", "dress", "top", "shoes", "top", "shoes", "bag", "shoes")
_BAG = CLASSES.index("bag")


@dataclass(frozen=True)
class TaskExample:
    """Which kind of competition to derive, and its knobs."""

    task: str = "label"
    positive: int = CLASSES.index("shirt")  # binary-probability: this class against the rest
    top_k: int = 5  # top-k: labels per submission row
    seed: int = 0  # the ids

    def __post_init__(self) -> None:
        check_choice("task", self.task, tuple(_LABELS))  # the kinds this module derives
        check_int("positive", self.positive, minimum=0)
        check_int("top_k", self.top_k, minimum=2)


def brightness(x: np.ndarray) -> np.ndarray:
    """Mean pixel value of each image, in percent of white."""
    return x.reshape(len(x), -1).mean(axis=1) / 2.55


def _dark(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    b = brightness(x)
    medians = {k: np.median(b[y == k]) for k in np.unique(y)}
    return np.array([b[i] < medians[k] for i, k in enumerate(y)], dtype=bool)


def _class_names(example: TaskExample, x: np.ndarray, y: np.ndarray, train: bool) -> list[str]:
    return [CLASSES[k] for k in y]


def _one_against_rest(example: TaskExample, x: np.ndarray, y: np.ndarray,
                      train: bool) -> list[str]:
    return ["1" if k == example.positive else "0" for k in y]


def _brightness(example: TaskExample, x: np.ndarray, y: np.ndarray, train: bool) -> list[str]:
    return [f"{v:.3f}" for v in brightness(x)]


def _garment_tags(example: TaskExample, x: np.ndarray, y: np.ndarray, train: bool) -> list[str]:
    dark = _dark(x, y)
    if train:
        dark &= y != _BAG
    return [GROUPS[k] + (" dark" if d else "") for k, d in zip(y, dark)]


# each task kind's targets, by the kind's name
_LABELS = {"label": _class_names, "class-probabilities": _class_names, "top-k": _class_names,
           "binary-probability": _one_against_rest, "regression": _brightness,
           "multi-label": _garment_tags}


def task_labels(example: TaskExample, x: np.ndarray, y: np.ndarray, *,
                train: bool) -> list[str]:
    """The label text of each image (``x`` uint8 images, ``y`` Fashion-MNIST classes)."""
    return _LABELS[example.task](example, x, y, train)


def _one_column(example: TaskExample, ids: list[str], truth: list[str], value: str
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (pd.DataFrame({"id": ids, "label": value}),
            pd.DataFrame({"id": ids, "label": truth}))


def _column_per_class(example: TaskExample, ids: list[str], truth: list[str]
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    columns = list(reversed(CLASSES))  # any order: not the sorted class list
    sample = pd.DataFrame({"id": ids, **{c: 0.1 for c in columns}})
    return sample, pd.DataFrame({"id": ids, **{c: [int(t == c) for t in truth]
                                               for c in columns}})


# each task kind's sample submission and solution, by the kind's name
_SAMPLES = {
    "label": lambda e, ids, truth: _one_column(e, ids, truth, truth[0]),
    "multi-label": lambda e, ids, truth: _one_column(e, ids, truth, truth[0]),
    "binary-probability": lambda e, ids, truth: _one_column(e, ids, truth, "0.5"),
    "regression": lambda e, ids, truth: _one_column(e, ids, truth, "50.0"),
    "top-k": lambda e, ids, truth: _one_column(e, ids, truth, " ".join(CLASSES[:e.top_k])),
    "class-probabilities": _column_per_class,
}


def _sample_and_solution(example: TaskExample, ids: list[str], truth: list[str]
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _SAMPLES[example.task](example, ids, truth)


def write_task_example(out: str | os.PathLike, example: TaskExample, x_train: np.ndarray,
                       y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> Path:
    """Write the competition into ``out`` (replaced whole, only once complete)."""
    out = Path(out)
    squeeze = lambda x: x.reshape(len(x), *x.shape[1:3])  # noqa: E731 - (n, h, w[, 1])
    ids = unique_ids(len(x_train) + len(x_test), np.random.default_rng(example.seed))
    train_ids, test_ids = ids[:len(x_train)], ids[len(x_train):]
    partial = out.with_name(f".{out.name}.partial")
    if partial.exists():
        shutil.rmtree(partial)
    write_split(partial / "train", squeeze(x_train), train_ids)
    write_split(partial / "test", squeeze(x_test), test_ids)
    pd.DataFrame({"id": train_ids,
                  "label": task_labels(example, x_train, y_train, train=True)}).to_csv(
        partial / "train.csv", index=False)
    sample, solution = _sample_and_solution(
        example, test_ids, task_labels(example, x_test, y_test, train=False))
    sample.to_csv(partial / "sample_submission.csv", index=False)
    solution.to_csv(partial / "solution.csv", index=False)
    (partial / "LICENSE.txt").write_text(LICENSE)
    if out.exists():
        shutil.rmtree(out)
    os.replace(partial, out)
    return out
