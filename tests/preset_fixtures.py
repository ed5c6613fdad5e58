"""Tiny keras_hub backbones saved as presets (random weights): what the preset tests mount.

``save_backbone`` writes one the way ``kagglehub.model_download`` leaves a Kaggle Models
preset (``host.examples.tiny_preset.save_preset``): ``<cache>/models/<handle parts>``, the
completion marker beside it. ``mount`` links a preset folder under a kernel's input root where
Kaggle mounts model sources.
"""

from __future__ import annotations

import os
from pathlib import Path

from host.examples.tiny_preset import save_preset, tiny_resnet

__all__ = ["BACKBONES", "tiny_backbone", "save_backbone", "mount", "HANDLE"]

HANDLE = "pipeline-tests/tiny/keras/tiny_resnet/1"
IMAGENET_SCALE = tuple(1 / (255 * s) for s in (0.229, 0.224, 0.225))
IMAGENET_OFFSET = tuple(-m / s for m, s in zip((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)))


def _efficientnet():
    import keras_hub

    return keras_hub.models.EfficientNetBackbone(
        stackwise_width_coefficients=[0.25] * 2, stackwise_depth_coefficients=[1.0] * 2,
        stackwise_kernel_sizes=[3, 3], stackwise_num_repeats=[1, 1],
        stackwise_input_filters=[32, 16], stackwise_output_filters=[16, 24],
        stackwise_expansion_ratios=[1, 6], stackwise_squeeze_and_excite_ratios=[0.25, 0.25],
        stackwise_strides=[1, 2], stackwise_block_types=["v1", "v1"],
        stackwise_force_input_filters=[0, 0], stackwise_nores_option=[False, False],
        input_shape=(None, None, 3))


def _densenet():
    import keras_hub

    return keras_hub.models.DenseNetBackbone(stackwise_num_repeats=[1, 1], growth_rate=8,
                                             image_shape=(None, None, 3))


def _vit(size: int):
    import keras_hub

    return keras_hub.models.ViTBackbone(image_shape=(size, size, 3), patch_size=8, num_layers=1,
                                        num_heads=2, hidden_dim=16, mlp_dim=32)


def _deit(size: int):
    import keras_hub

    return keras_hub.models.DeiTBackbone(image_shape=(size, size, 3), patch_size=8,
                                         num_layers=1, num_heads=2, hidden_dim=16,
                                         intermediate_dim=32)


def _dinov2(size: int):
    import keras_hub

    return keras_hub.models.DINOV2Backbone(
        patch_size=8, num_layers=1, hidden_dim=16, num_heads=2, intermediate_dim=32,
        image_shape=(size, size, 3), position_embedding_shape=(size, size))


BACKBONES = ("resnet", "efficientnet", "densenet", "vit", "deit", "dinov2")


def tiny_backbone(kind: str = "resnet", size: int = 32):
    """A keras_hub backbone of a few thousand to 150k parameters (random weights); ViT-like
    ones take ``size`` x ``size`` only."""
    builders = {"resnet": tiny_resnet, "efficientnet": _efficientnet, "densenet": _densenet,
                "vit": lambda: _vit(size), "deit": lambda: _deit(size),
                "dinov2": lambda: _dinov2(size)}
    return builders[kind]()


def save_backbone(cache: Path, handle: str = HANDLE, *, kind: str = "resnet", size: int = 32,
                  converter: bool = True, seed: int = 0) -> Path:
    """A tiny backbone saved as the preset ``handle`` in the kagglehub cache ``cache``, with an
    ImageNet-style converter of ``size`` (or none); its folder."""
    import keras

    keras.utils.set_random_seed(seed)
    return save_preset(tiny_backbone(kind, size), cache, handle, image_size=size,
                       scale=IMAGENET_SCALE if converter else None, offset=IMAGENET_OFFSET)


def mount(folder: Path, root: Path, handle: str = HANDLE, *, depth: str = "models") -> Path:
    """Link ``folder`` under ``root`` at ``<depth>/<owner>/<model>/...`` (``depth="models"``,
    as Kaggle mounts model sources today) or at ``<model>/<framework>/...`` (``depth=""``)."""
    parts = handle.split("/")
    where = root.joinpath("models", *parts) if depth else root.joinpath(*parts[1:])
    where.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(folder.resolve(), where)
    return where
