"""The trained models an inference kernel runs, found under its inputs and checked.

One train kernel's model, or the K fold kernels' models averaged exactly as the blend kernel
averages their test predictions (the mean of their outputs, then the blend's calibration).
Every record must describe the data the kernel was built for: the task, the classes, the
input shape and the train side's fingerprint, which a scoring rerun cannot change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from shared.assignment import InferAssignment
from shared.inference.record import INFERENCE_NAME, InferenceRecord, find_records
from shared.models.presets import enable_preset_loading

__all__ = ["Predictors", "load_predictors"]


@dataclass(frozen=True)
class Predictors:
    """The models and what inference takes from training (calibration, prior, TTA)."""

    models: tuple[Any, ...]
    record: InferenceRecord  # the train kernel's, or the blend's with folds
    folders: tuple[Path, ...]

    @property
    def prior(self) -> np.ndarray:
        return np.asarray(self.record.prior, np.float64)

    def predict(self, x: np.ndarray, tta: str) -> np.ndarray:
        """The mean of every model's output (and, with ``tta = "flip"``, of the left-right
        mirror's) for uint8 pixels ``x``."""
        views = (x, x[:, :, ::-1]) if tta == "flip" else (x,)
        total = None
        for model in self.models:
            for view in views:
                out = np.asarray(model.predict_on_batch(np.ascontiguousarray(view)), np.float64)
                total = out if total is None else total + out
        return total / (len(self.models) * len(views))


def _check(record: InferenceRecord, folder: Path, assignment: InferAssignment) -> None:
    spec, layout = assignment.spec, assignment.source
    expected = {"task": layout.task, "classes": tuple(spec.classes),
                "sample_shape": tuple(spec.sample_shape),
                "source_fingerprint": assignment.source_fingerprint}
    for name, wanted in expected.items():
        found = getattr(record, name)
        if found != wanted:
            raise ValueError(
                f"{folder / INFERENCE_NAME} has {name} {found!r}, this inference kernel was "
                f"built for {wanted!r}: the training outputs mounted are not the plan's; push "
                "the train and inference kernels of one plan together")


def _records(root: Path, assignment: InferAssignment) -> list[tuple[Path, InferenceRecord]]:
    folds = assignment.config.train.folds
    found = find_records(root)
    if folds == 1:
        wanted = [(f, r) for f, r in found if r.role == "train"]
        if len(wanted) != 1:
            raise FileNotFoundError(
                f"{len(wanted)} trained model(s) with an {INFERENCE_NAME} under {root}, expected "
                f"one: attach the train kernel's output ({', '.join(assignment.sources)}) to "
                "the inference kernel, once")
        return wanted
    blends = [(f, r) for f, r in found if r.role == "blend"]
    by_fold = {r.fold: (f, r) for f, r in found if r.role == "fold"}
    missing = [k for k in range(folds) if k not in by_fold]
    if len(blends) != 1 or missing:
        raise FileNotFoundError(
            f"under {root}: {len(blends)} blend record(s) and fold models {sorted(by_fold)}; "
            f"expected the blend and folds 0..{folds - 1} (missing {missing}): attach "
            f"{', '.join(assignment.sources)} to the inference kernel")
    return [blends[0], *(by_fold[k] for k in range(folds))]


def load_predictors(root: Path, assignment: InferAssignment) -> Predictors:
    """The checked models under ``root`` (see the module docstring)."""
    records = _records(root, assignment)
    for folder, record in records:
        _check(record, folder, assignment)
    holders = [(f, r) for f, r in records if r.model]
    if assignment.choices.preset is not None:
        enable_preset_loading()  # keras_hub's layers and ours, before a model is read
    models = []
    for folder, record in holders:
        model = keras.models.load_model(folder / record.model)
        shape = tuple(model.inputs[0].shape[1:])
        if shape != tuple(assignment.spec.sample_shape) or str(model.inputs[0].dtype) != "uint8":
            raise ValueError(
                f"{folder / record.model} takes {model.inputs[0].dtype} {shape}, expected uint8 "
                f"{tuple(assignment.spec.sample_shape)}: it was not trained on this plan's "
                "shards; push the train and inference kernels of one plan together")
        models.append(model)
    return Predictors(models=tuple(models), record=records[0][1],
                      folders=tuple(f for f, _ in holders))
