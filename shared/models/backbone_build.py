"""The model a pretrained family builds around a preset's backbone, for the train kernels.

In front, on the device: the project's uint8 input, gray repeated to the backbone's 3
channels, and the preset's own normalisation (``x = pixel * a + b`` per channel, from the
plan's mean and std). Then the backbone loaded with ``keras_hub`` from the mounted preset
(its weights, or only its architecture for ``[train] weights = "random"``), built in the
current dtype policy and called through ``BackboneCall`` (``training=False``: batch norm keeps
its statistics). Behind it: the family's pooling, dropout and the task's head. The result takes
raw pixels (``shared.training.device_input.takes_pixels``) and is saved whole in
``model.keras``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.models.head import head_layers
from shared.models.presets import enable_preset_loading
from shared.models.spec import ModelSpec
from shared.preset_choice import PresetChoice

__all__ = ["build_backbone_model", "BACKBONE_LAYER"]

BACKBONE_LAYER = "backbone"  # the BackboneCall layer's name: fine-tuning (un)freezes it


def _one(values: list[float]) -> float | list[float]:
    return values[0] if all(v == values[0] for v in values) else values


def _front(keras: Any, shape: tuple[int, ...], preset: PresetChoice) -> tuple[Any, Any]:
    """The uint8 input and the normalised float tensor the backbone reads."""
    pixels = keras.Input(shape, dtype="uint8", name="pixels")
    x = pixels
    if shape[-1] != preset.channels:
        if (shape[-1], preset.channels) != (1, 3):
            raise ValueError(f"the images have {shape[-1]} channel(s), the backbone "
                             f"{preset.backbone} reads {preset.channels}: set [source] "
                             f"channels = {preset.channels}")
        x = keras.layers.Concatenate(name="gray_to_rgb")([x, x, x])
    channels = preset.channels
    mean = [preset.mean[i % len(preset.mean)] for i in range(channels)]
    std = [preset.std[i % len(preset.std)] for i in range(channels)]
    scale = [1.0 / (255.0 * s) for s in std]
    offset = [-m / s for m, s in zip(mean, std)]
    x = keras.layers.Rescaling(_one(scale), offset=_one(offset), name="normalize")(x)
    return pixels, x


def _pool(keras: Any, layers: Any, pooling: str, features: Any, backbone: str) -> Any:
    rank = len(features.shape)
    if pooling == "class_token" and rank == 3:
        return layers.ClassToken(name="class_token")(features)
    if pooling == "avg" and rank == 4:
        return keras.layers.GlobalAveragePooling2D(name="pool")(features)
    if pooling == "avg" and rank == 3:
        return keras.layers.GlobalAveragePooling1D(name="pool")(features)
    raise ValueError(f"the backbone {backbone} returns features of shape {features.shape}: "
                     f"{pooling} pooling expects " + ("(batch, tokens, features)"
                                                      if pooling == "class_token" else
                                                      "a feature map or a token sequence"))


def build_backbone_model(spec: ModelSpec, shape: tuple[int, ...], head: Any, *,
                         preset: PresetChoice, folder: str | Path) -> Any:
    """The uncompiled model (see the module docstring) over the preset in ``folder``."""
    keras_hub = enable_preset_loading()
    import keras

    from shared.models import _keras_layers as layers

    backbone = keras_hub.models.Backbone.from_preset(
        str(folder), load_weights=preset.pretrained, dtype=keras.config.dtype_policy().name)
    pixels, x = _front(keras, shape, preset)
    features = layers.BackboneCall(backbone, inference=preset.freeze_batchnorm,
                                   name=BACKBONE_LAYER)(x)
    x = _pool(keras, layers, preset.pooling, features, preset.backbone)
    if preset.dropout:
        x = keras.layers.Dropout(preset.dropout, name="head_dropout")(x)
    for layer in head_layers(head):
        x = layer(x)
    return keras.Model(pixels, x, name=f"{spec.name}_model")
