"""Model families: one module each, registering a ``ModelSpec`` (``shared.models.spec``).

This package imports every module in it (none imports Keras at import time), so adding a
family is adding a file, and the planner can read specs without Keras. ``model_spec(name)``
gives a family's spec; ``build_model`` builds and compiles one for an input shape and a
task's head.

``[train] model`` also names a Kaggle Models preset, by its handle (or its keras_hub preset
name, which the planner resolves): ``model_spec`` gives the pretrained family that fine-tunes
its backbone class (``pretrained_family``), and ``build_model`` builds it from the mounted
preset (``preset``, ``folder``).
"""

from __future__ import annotations

import difflib
import os
from typing import Any, Sequence

from shared.models.handles import FORM, is_handle, looks_like_preset_name
from shared.models.registry import MODELS, register_model
from shared.models.spec import ModelSpec, check_input
from shared.registry import import_submodules
from shared.tasks.base import Head

__all__ = ["MODELS", "ModelSpec", "register_model", "model_spec", "model_names",
           "names_a_preset", "pretrained_family", "build_model", "compile_model"]

import_submodules(__name__)


def names_a_preset(name: str) -> bool:
    """Whether ``[train] model = name`` names a preset: a Kaggle Models handle, or a
    keras_hub preset name that is no registered family."""
    return is_handle(name) or (name not in MODELS and looks_like_preset_name(name))


def pretrained_family(backbone: str = "") -> ModelSpec:
    """The pretrained family that fine-tunes the keras_hub class ``backbone``: the one that
    lists it, else the one that takes any other."""
    families = [spec for spec in MODELS if spec.pretrained]
    for spec in families:
        if backbone in spec.fine_tune.backbones:
            return spec
    fallback = [spec for spec in families if not spec.fine_tune.backbones]
    if len(fallback) != 1:
        raise ValueError(f"{len(fallback)} pretrained families take any backbone "
                         f"({', '.join(s.name for s in fallback)}): expected exactly one")
    return fallback[0]


def model_spec(name: str, backbone: str = "") -> ModelSpec:
    """The registered family ``name``; for a preset (``names_a_preset``), the pretrained
    family of its backbone class; ValueError naming what ``[train] model`` takes otherwise."""
    if name in MODELS:
        return MODELS.get(name)
    if names_a_preset(name):
        return pretrained_family(backbone)
    close = difflib.get_close_matches(str(name), model_names(), n=1)
    raise ValueError(f"[train] model = {name!r}: no such model family; expected one of "
                     f"{', '.join(model_names())}"
                     + (f"; did you mean {close[0]!r}?" if close else "")
                     + f"; or a Kaggle Models handle {FORM}; or a keras_hub preset name such "
                     "as resnet_50_imagenet")


def model_names() -> tuple[str, ...]:
    """The families ``[train] model`` names directly (the pretrained ones take a preset)."""
    return tuple(spec.name for spec in MODELS if not spec.pretrained)


def compile_model(model: Any, *, learning_rate: Any, loss: Any = "sparse_categorical_crossentropy",
                  metrics: Sequence[Any] = ("accuracy",), optimizer: Any = None) -> Any:
    """``optimizer`` (default: Adam at ``learning_rate``) with the task's loss and metrics (by
    default: class indices, accuracy)."""
    import keras

    optimizer = optimizer or keras.optimizers.Adam(learning_rate=learning_rate)
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def build_model(kind: str | ModelSpec, input_shape: tuple[int, ...], head: Head | int, *,
                learning_rate: Any = 1e-3, seed: int | None = None,
                loss: Any = "sparse_categorical_crossentropy",
                metrics: Sequence[Any] = ("accuracy",), optimizer: Any = None,
                preset: Any = None, folder: str | os.PathLike | None = None) -> Any:
    """A compiled model of family ``kind`` ending in ``head`` (a number means that many
    classes, softmax); build it inside the distribution strategy's scope. ``seed`` fixes the
    initial weights. A pretrained family takes ``preset`` (a ``PresetChoice``) and ``folder``
    (where the preset is mounted); ``optimizer`` replaces Adam at ``learning_rate``."""
    spec = kind if isinstance(kind, ModelSpec) else model_spec(kind)
    head = Head(head, "softmax") if isinstance(head, int) else head
    shape = check_input(spec, input_shape, head)
    if spec.pretrained != (preset is not None and folder is not None):
        raise ValueError(f"the {spec.name} model " + (
            "is built on a preset: pass preset and folder" if spec.pretrained else
            "takes no preset"))
    if seed is not None:
        import keras

        keras.utils.set_random_seed(seed)
    built = spec.build(spec, shape, head, preset=preset, folder=folder) if spec.pretrained \
        else spec.build(spec, shape, head)
    return compile_model(built, learning_rate=learning_rate, loss=loss, metrics=metrics,
                         optimizer=optimizer)
