"""Feeds, models and the fit timer of ``gpu_feed.py``."""

from __future__ import annotations

import math
import time

import keras
import numpy as np

from shared.data import Normalization
from shared.data.sequence import ShardedSequence
from shared.models import build_model
from shared.training.device_input import (prepare_model, set_steps_per_execution,
                                          with_pixel_input)

__all__ = ["OneBatch", "Continue", "InMemoryBatches", "article_model", "resnet_model",
           "time_fit"]


class OneBatch(keras.utils.PyDataset):
    """The ceiling: one prepared batch, returned for every index."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        super().__init__()
        self.batch = (x, y)

    @property
    def num_batches(self) -> None:
        return None

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int):
        return self.batch


class Continue(keras.utils.PyDataset):
    """``sequence`` from batch ``start`` on: each timed ``fit`` (which counts from 0) goes on
    where the previous one stopped, so no measurement re-serves windows already read."""

    def __init__(self, sequence: ShardedSequence) -> None:
        super().__init__(workers=sequence.workers, max_queue_size=sequence.max_queue_size,
                         use_multiprocessing=sequence.use_multiprocessing)
        self.sequence, self.start = sequence, 0

    @property
    def num_batches(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self.sequence)

    def advance(self, steps: int) -> None:
        self.start += steps + self.max_queue_size + self.workers  # past what was queued

    def __getitem__(self, index: int):
        return self.sequence[self.start + index]


class InMemoryBatches(Continue):
    """The shards' batches (same rows, same order), gathered from uint8 arrays in RAM."""

    def __init__(self, x: np.ndarray, y: np.ndarray, reference: ShardedSequence) -> None:
        super().__init__(reference)
        self.x, self.y = x, y.astype(np.int32)

    def __getitem__(self, index: int):
        rows = self.sequence.batch_samples(self.start + index)
        return self.x[rows], self.y[rows]


def article_model(pixels: bool, shape: tuple[int, ...], *,
                  steps_per_execution: int = 1) -> keras.Model:
    """The train kernel's article CNN: behind its uint8 input when ``pixels``."""
    model = build_model("article", shape, 10, seed=0)
    if pixels:
        model = prepare_model(model, sample_shape=shape, normalization=Normalization(),
                              output="uint8")
    set_steps_per_execution(model, steps_per_execution)
    return model


def resnet_model(pixels: bool, shape: tuple[int, ...]) -> keras.Model:
    """ResNet50 without weights (under the current dtype policy), Adam, cross-entropy."""
    keras.utils.set_random_seed(0)
    model = keras.applications.ResNet50(weights=None, input_shape=tuple(shape), classes=10)
    if pixels:
        model = with_pixel_input(model, shape, Normalization())
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _fit_seconds(model: keras.Model, feed: keras.utils.PyDataset, steps: int) -> float:
    start = time.perf_counter()
    model.fit(feed, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)
    seconds = time.perf_counter() - start
    if hasattr(feed, "advance"):
        feed.advance(steps)
    return seconds


def time_fit(model: keras.Model, feed: keras.utils.PyDataset, steps: int | None,
             seconds: float) -> tuple[float, int]:
    """``(steps per second, steps)`` of one ``fit`` of ``steps`` steps; with ``steps=None``
    first compile (a short fit), then find how many steps last ``seconds``."""
    spe = int(getattr(model, "steps_per_execution", 1) or 1)
    if steps is None:
        _fit_seconds(model, feed, 2 * spe)  # traces and compiles
        probe = 4 * spe
        while True:
            took = _fit_seconds(model, feed, probe)
            if took >= min(1.0, seconds / 2) or probe >= 10**6:
                break
            probe *= 2
        steps = max(probe, math.ceil(seconds * probe / took / spe) * spe)
    return steps / _fit_seconds(model, feed, steps), steps
