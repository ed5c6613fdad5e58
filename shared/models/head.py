"""The task's head behind any model: Dense, the activation in float32, the target scaling."""

from __future__ import annotations

from typing import Any

from shared.tasks.base import Head

__all__ = ["head_layers"]


def head_layers(head: Head) -> list[Any]:
    """Dense ``units``, the activation in float32 (as Keras recommends under a mixed policy),
    and the rescaling of a regression head back to the targets' units."""
    import keras  # here: the registry imports this package without Keras

    layers = [keras.layers.Dense(head.units),
              keras.layers.Activation(head.activation, dtype="float32")]
    if (head.scale, head.offset) != (1.0, 0.0):
        layers.append(keras.layers.Rescaling(head.scale, head.offset, dtype="float32",
                                             name="target_units"))
    return layers
