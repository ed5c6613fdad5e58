"""What the train kernel runs, for benchmarks to time: its loader options, sequences and model.

The benchmarks measure the kernel's own path, not a stand-in: uint8 shards read through
``build_training_data`` with the ``[loader]`` defaults, into a model built by
``shared.models`` behind its uint8 input and normalisation layer, with the kernel's steps per
execution. Keras is imported by the caller first (``common`` sets its log level).
"""

from __future__ import annotations

import numpy as np

from shared.config import LoaderConfig
from shared.data.options import LoaderOptions
from shared.models import build_model
from shared.store import ShardSet
from shared.tasks.label import LabelTask
from shared.training.device_input import prepare_model, set_steps_per_execution
from shared.training.sequences import TrainingData, build_training_data
from shared.training.steps import resolve_steps_per_execution

__all__ = ["TASK", "kernel_loader", "kernel_data", "kernel_model"]

TASK = LabelTask(classes=tuple(range(10)), value_columns=("label",))


def kernel_loader(batch: int) -> LoaderOptions:
    """``[loader]`` at its defaults, with every row trained on (no hold-out)."""
    return LoaderOptions.from_config(LoaderConfig(batch_size=batch, validation_fraction=0.0))


def kernel_data(shards: ShardSet, loader: LoaderOptions, batch: int) -> TrainingData:
    """The train kernel's sequences over ``shards`` (which need a test split)."""
    return build_training_data(shards, loader, global_batch=batch, task=TASK)


def kernel_model(loader: LoaderOptions, shape: tuple[int, int, int], batch: int,
                 steps_per_epoch: int, *, model: str = "article", accelerator: bool = False):
    """``(model, steps per execution)`` as the train kernel builds and compiles them."""
    built = build_model(model, shape, TASK.head(np.zeros(0)), loss=TASK.loss(),
                        metrics=TASK.metrics(), learning_rate=1e-3, seed=0)
    built = prepare_model(built, sample_shape=shape, normalization=loader.normalization,
                          output=loader.output)
    steps = resolve_steps_per_execution("auto", built, global_batch=batch,
                                        steps_per_epoch=steps_per_epoch,
                                        accelerator=accelerator)
    set_steps_per_execution(built, steps)
    return built, steps
