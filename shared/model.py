"""The training kernel's two built-in CNNs, channels-last, for any ``(H, W, C)`` input.

``article``: the origin article's network, unchanged: Conv2D 20@5x5 same + ReLU, MaxPool 2,
Conv2D 50@5x5 same + ReLU, MaxPool 2, Flatten, Dense 500 + ReLU, then the task's head (for
one class per image: Dense classes + softmax); Adam; the task's loss.

``better``: blocks of two 3x3 convolutions with batch normalisation, max pooling and dropout
(one block per halving, until the feature map is about 7-11 pixels, at most 5 blocks), then
Dense 256 with batch normalisation and dropout. It is meant to be trained with the ``flip``
augmentation and a cosine learning-rate decay (``[train] augment`` and ``lr_schedule`` =
``auto`` choose them).

The head (``shared.tasks.Head``) is the task's: softmax over classes, sigmoid units (binary,
multi-label) or one linear unit scaled back to the targets' units (regression). Under a
``mixed_float16`` policy the head's activation stays float32, as Keras recommends.
"""

from __future__ import annotations

from typing import Any, Sequence

import keras

from shared.tasks.base import Head

__all__ = ["MODEL_KINDS", "build_model", "compile_model", "better_blocks", "head_layers"]

MODEL_KINDS = ("article", "better")
_BETTER_FILTERS = (32, 64, 128, 256, 256)
_BN_MOMENTUM = 0.9  # Keras' 0.99 leaves the moving statistics unsettled on small data sets
_MIN_FEATURE_SIDE = 12  # add another block while the feature map is at least this wide
_CONV_DROPOUT = 0.2  # tuned on Fashion-MNIST: 0.25/0.5 underfit within 15 epochs
_DENSE_DROPOUT = 0.3


def _check_input(kind: str, input_shape: tuple[int, ...], head: Head) -> tuple[int, ...]:
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape {input_shape!r}: expected (height, width, channels), "
                         "channels last, as the shard manifests give it")
    if kind not in MODEL_KINDS:
        raise ValueError(f"model kind {kind!r}: expected one of {', '.join(MODEL_KINDS)}")
    smallest = 4 if kind == "article" else 2
    if min(shape[:2]) < smallest:
        raise ValueError(f"input_shape {shape}: the {kind} model pools the image "
                         f"{'twice' if kind == 'article' else 'at least once'}, so height and "
                         f"width must be >= {smallest}; resize images larger in [source]")
    if head.activation == "softmax" and head.units < 2:
        raise ValueError(f"num_classes={head.units}: a classifier needs at least 2 classes")
    if head.units < 1:
        raise ValueError(f"head units = {head.units}: expected at least one output")
    return shape


def better_blocks(height: int, width: int) -> int:
    """How many conv blocks (each halves the image) the ``better`` model stacks."""
    side, blocks = min(height, width), 0
    while blocks < len(_BETTER_FILTERS) and (blocks == 0 or side >= _MIN_FEATURE_SIDE):
        side //= 2
        blocks += 1
    return blocks


def head_layers(head: Head) -> list[keras.layers.Layer]:
    """Dense ``units``, the activation in float32, and the rescaling of a regression head."""
    layers = [keras.layers.Dense(head.units),
              keras.layers.Activation(head.activation, dtype="float32")]
    if (head.scale, head.offset) != (1.0, 0.0):
        layers.append(keras.layers.Rescaling(head.scale, head.offset, dtype="float32",
                                             name="target_units"))
    return layers


def _article(shape: tuple[int, ...], head: Head) -> keras.Model:
    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape),
        layers.Conv2D(20, 5, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(50, 5, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(500, activation="relu"),
        *head_layers(head),
    ], name="article_cnn")


def _conv_bn(filters: int) -> list[keras.layers.Layer]:
    layers = keras.layers
    return [layers.Conv2D(filters, 3, padding="same", use_bias=False),
            layers.BatchNormalization(momentum=_BN_MOMENTUM), layers.Activation("relu")]


def _better(shape: tuple[int, ...], head: Head) -> keras.Model:
    layers = keras.layers
    stack: list[keras.layers.Layer] = [keras.Input(shape)]
    for filters in _BETTER_FILTERS[:better_blocks(shape[0], shape[1])]:
        stack += _conv_bn(filters) + _conv_bn(filters)
        stack += [layers.MaxPooling2D(2), layers.Dropout(_CONV_DROPOUT)]
    stack += [layers.Flatten(), layers.Dense(256, use_bias=False),
              layers.BatchNormalization(momentum=_BN_MOMENTUM), layers.Activation("relu"),
              layers.Dropout(_DENSE_DROPOUT), *head_layers(head)]
    return keras.Sequential(stack, name="better_cnn")


def compile_model(model: keras.Model, *, learning_rate: float | keras.optimizers.schedules.
                  LearningRateSchedule, loss: Any = "sparse_categorical_crossentropy",
                  metrics: Sequence[Any] = ("accuracy",)) -> keras.Model:
    """Adam with the task's loss and metrics (by default: class indices, accuracy)."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=loss,
                  metrics=list(metrics))
    return model


def build_model(kind: str, input_shape: tuple[int, ...], head: Head | int, *,
                learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = 1e-3,
                seed: int | None = None, loss: Any = "sparse_categorical_crossentropy",
                metrics: Sequence[Any] = ("accuracy",)) -> keras.Model:
    """A compiled model of ``kind`` (``article`` or ``better``) ending in ``head`` (a number
    means that many classes, softmax); build it inside the distribution strategy's scope.
    ``seed`` fixes the initial weights."""
    head = Head(head, "softmax") if isinstance(head, int) else head
    shape = _check_input(kind, input_shape, head)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    model = _article(shape, head) if kind == "article" else _better(shape, head)
    return compile_model(model, learning_rate=learning_rate, loss=loss, metrics=metrics)
