"""Feeds, models and the fit timer of ``gpu_feed.py``."""

from __future__ import annotations

import math
import time
from pathlib import Path

import keras
import numpy as np

from shared.data import Normalization
from shared.data.sequence import ShardedSequence
from shared.models import build_model
from shared.training.device_input import (prepare_model, set_steps_per_execution,
                                          with_pixel_input)

__all__ = ["OneBatch", "Continue", "InMemoryBatches", "article_model", "resnet_model",
           "efficientnet_b0_preset", "preset_model", "time_fit"]

# EfficientNet-B0 as keras_hub builds it from timm's efficientnet_b0 (the architecture of the
# Kaggle Models preset keras/efficientnet/keras/efficientnet_b0_ra_imagenet):
# keras_hub/src/utils/timm/convert_efficientnet.py, the base arguments and variant "b0"
EFFICIENTNET_B0 = dict(
    stackwise_kernel_sizes=[3, 3, 5, 3, 5, 5, 3], stackwise_num_repeats=[1, 2, 2, 3, 3, 4, 1],
    stackwise_input_filters=[32, 16, 24, 40, 80, 112, 192],
    stackwise_output_filters=[16, 24, 40, 80, 112, 192, 320],
    stackwise_expansion_ratios=[1, 6, 6, 6, 6, 6, 6], stackwise_strides=[1, 2, 2, 2, 1, 2, 1],
    stackwise_block_types=["v1"] * 7, min_depth=None, include_stem_padding=True,
    use_depth_divisor_as_min_depth=True, cap_round_filter_decrease=True,
    stem_conv_padding="valid", batch_norm_momentum=0.9, batch_norm_epsilon=1e-5, dropout=0,
    projection_activation=None, stackwise_width_coefficients=[1.0] * 7,
    stackwise_depth_coefficients=[1.0] * 7, stackwise_squeeze_and_excite_ratios=[0.25] * 7)


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


def efficientnet_b0_preset(folder: Path, side: int) -> Path:
    """An EfficientNet-B0 backbone (random weights) saved as a preset with an ImageNet image
    converter of ``side`` pixels: what a download of efficientnet_b0_ra_imagenet holds."""
    import keras_hub

    keras.utils.set_random_seed(0)
    backbone = keras_hub.models.EfficientNetBackbone(**EFFICIENTNET_B0)
    backbone.save_to_preset(str(folder))
    std, mean = (0.229, 0.224, 0.225), (0.485, 0.456, 0.406)
    keras_hub.layers.EfficientNetImageConverter(
        image_size=(side, side), scale=[1 / (255 * s) for s in std],
        offset=[-m / s for m, s in zip(mean, std)]).save_to_preset(str(folder))
    return folder


def preset_model(folder: Path, shape: tuple[int, ...], *, steps_per_epoch: int) -> keras.Model:
    """The train kernel's model over the preset in ``folder`` (its saved weights loaded), as in
    the fine-tuning's second phase: every layer trains, AdamW, 10 classes, under the current
    dtype policy."""
    from shared.config import PipelineConfig
    from shared.models.presets import read_preset
    from shared.tasks.label import LabelTask
    from shared.training.fine_tune import build_fine_tune_model
    from shared.training.preset_settings import choose_preset
    from shared.training.settings import choose_training

    handle = "keras/efficientnet/keras/efficientnet_b0_ra_imagenet/2"
    task = LabelTask(classes=tuple(range(10)), value_columns=("label",))
    config = PipelineConfig().replace(
        source={"image_size": list(shape[:2])},
        train={"model": handle, "epochs": 2, "head_epochs": 0})
    choices = choose_training(config, task,
                              preset=choose_preset(config, handle, read_preset(folder)))
    return build_fine_tune_model(choices, tuple(shape), task, np.arange(10), folder=folder,
                                 seed=0, steps_per_epoch=steps_per_epoch, epochs=2)


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
