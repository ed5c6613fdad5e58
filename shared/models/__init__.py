"""Model families: one module each, registering a ``ModelSpec`` (``shared.models.spec``).

This package imports every module in it (none imports Keras at import time), so adding a
family is adding a file, and the planner can read specs without Keras. ``model_spec(name)``
gives a family's spec; ``build_model`` builds and compiles one for an input shape and a
task's head.
"""

from __future__ import annotations

from typing import Any, Sequence

from shared.models.registry import MODELS, register_model
from shared.models.spec import ModelSpec, check_input
from shared.registry import import_submodules
from shared.tasks.base import Head

__all__ = ["MODELS", "ModelSpec", "register_model", "model_spec", "model_names",
           "build_model", "compile_model"]

import_submodules(__name__)


def model_spec(name: str) -> ModelSpec:
    """The registered family ``name``; ValueError listing the known ones otherwise."""
    return MODELS.get(name)


def model_names() -> tuple[str, ...]:
    return MODELS.names()


def compile_model(model: Any, *, learning_rate: Any, loss: Any = "sparse_categorical_crossentropy",
                  metrics: Sequence[Any] = ("accuracy",)) -> Any:
    """Adam with the task's loss and metrics (by default: class indices, accuracy)."""
    import keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=loss,
                  metrics=list(metrics))
    return model


def build_model(kind: str | ModelSpec, input_shape: tuple[int, ...], head: Head | int, *,
                learning_rate: Any = 1e-3, seed: int | None = None,
                loss: Any = "sparse_categorical_crossentropy",
                metrics: Sequence[Any] = ("accuracy",)) -> Any:
    """A compiled model of family ``kind`` ending in ``head`` (a number means that many
    classes, softmax); build it inside the distribution strategy's scope. ``seed`` fixes the
    initial weights."""
    spec = kind if isinstance(kind, ModelSpec) else model_spec(kind)
    head = Head(head, "softmax") if isinstance(head, int) else head
    shape = check_input(spec, input_shape, head)
    if seed is not None:
        import keras

        keras.utils.set_random_seed(seed)
    return compile_model(spec.build(spec, shape, head), learning_rate=learning_rate, loss=loss,
                         metrics=metrics)
