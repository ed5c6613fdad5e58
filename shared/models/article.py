"""``article``: the origin article's CNN, unchanged, for any ``(H, W, C)`` input.

Conv2D 20@5x5 same + ReLU, MaxPool 2, Conv2D 50@5x5 same + ReLU, MaxPool 2, Flatten,
Dense 500 + ReLU, then the task's head (for one class per image: Dense classes + softmax).
Trained as the article did: Adam at a constant rate, no augmentation.
"""

from __future__ import annotations

from typing import Any

from shared.models.head import head_layers
from shared.models.registry import register_model
from shared.models.spec import ModelSpec

__all__ = ["SPEC"]


def _build(spec: ModelSpec, shape: tuple[int, ...], head: Any) -> Any:
    import keras

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


SPEC = register_model(ModelSpec(
    name="article", build=_build, min_side=4, min_side_reason="pools the image twice",
    description="the origin article's CNN (2 conv + 2 pool + Dense 500)",
    augment="none", lr_schedule="constant", learning_rate=1e-3))
