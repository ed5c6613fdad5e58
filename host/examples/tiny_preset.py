"""A small backbone pretrained here and saved as a Kaggle Models preset, for tests and benchmarks.

No ImageNet weights can be downloaded here, so the pretrained-backbone path is proven with a
self-made protocol: a tiny keras_hub ``ResNetBackbone`` learns to classify photos of
Fashion-MNIST items (``host.examples.photos``' rendering, at ``size`` pixels), then
``save_to_preset`` writes it with its image converter (the input size, and the normalisation
of the pretraining photos' mean and std per channel) where ``kagglehub.model_download`` would
leave it: ``<cache>/models/<owner>/<model>/<framework>/<variation>/<version>``, with the
completion marker ``<version>.complete`` beside it. A competition of photos of *other* items
then fine-tunes it through a dry run (``benchmarks/pretrained.py``, ``tests/e2e``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from host.examples.fashion_mnist import CLASSES
from host.examples.photos import plan_photos, render_upright
from shared.models.handles import ModelHandle

__all__ = ["TINY_HANDLE", "example_items", "disjoint_items", "render_photos", "tiny_resnet",
           "pretrain_backbone", "save_preset", "pretrained_photo_preset"]

TINY_HANDLE = "pipeline-tests/tiny-resnet/keras/tiny_resnet_photos/1"


def example_items(folder: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """The 28x28 items and class indices of an example competition (``host.examples.
    fashion_mnist``: ``train/``, ``test/``, ``train.csv`` and ``solution.csv``)."""
    folder = Path(folder)
    index = {name: i for i, name in enumerate(CLASSES)}
    items, labels = [], []
    for split, table in (("train", "train.csv"), ("test", "solution.csv")):
        rows = pd.read_csv(folder / table, dtype=str)
        items += [np.asarray(Image.open(folder / split / f"{i}.png")) for i in rows["id"]]
        labels += [index[label] for label in rows["label"]]
    return np.stack(items), np.asarray(labels)


def disjoint_items(pool: tuple[np.ndarray, np.ndarray], exclude: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The items of ``pool`` (images, labels) whose pixels are none of ``exclude``'s."""
    taken = {np.ascontiguousarray(x).tobytes() for x in exclude.reshape(len(exclude), 28, 28)}
    keep = [i for i, x in enumerate(pool[0].reshape(len(pool[0]), 28, 28))
            if np.ascontiguousarray(x).tobytes() not in taken]
    return pool[0][keep], pool[1][keep]


def render_photos(items: np.ndarray, labels: np.ndarray, *, size: int, seed: int = 1,
                  min_side: int = 40, max_side: int = 80) -> np.ndarray:
    """One RGB photo per item (tinted, on a gradient, cropped as ``plan_photos`` decides),
    stretched to ``size`` x ``size``, as uint8 ``(n, size, size, 3)``."""
    items = np.asarray(items).reshape(len(items), 28, 28)
    labels = np.asarray(labels)
    specs = plan_photos(2 * len(items), seed=seed, test_fraction=0.5, min_side=min_side,
                        max_side=max_side, labels=(labels, labels))[:len(items)]
    out = np.empty((len(items), size, size, 3), np.uint8)
    for i, spec in enumerate(specs):
        upright, _ = render_upright(spec, items[spec.item])
        out[i] = np.asarray(upright.resize((size, size), Image.Resampling.BILINEAR))
    return out


def tiny_resnet() -> Any:
    """A keras_hub ResNet of about 100k parameters, for any image size (channels last, RGB)."""
    import keras_hub

    return keras_hub.models.ResNetBackbone(
        input_conv_filters=[64], input_conv_kernel_sizes=[3], stackwise_num_filters=[64, 64],
        stackwise_num_blocks=[1, 1], stackwise_num_strides=[1, 2], block_type="basic_block",
        use_pre_activation=False, image_shape=(None, None, 3))


def pretrain_backbone(x: np.ndarray, y: np.ndarray, *, epochs: int, seed: int = 0
                      ) -> tuple[Any, tuple[float, ...], tuple[float, ...]]:
    """``(backbone, scale, offset)``: a tiny ResNet trained on ``x`` (uint8 RGB) to predict
    ``y``, reading ``x * scale + offset`` (the pixels' own mean and std per channel)."""
    import keras

    keras.utils.set_random_seed(seed)
    mean = x.reshape(-1, 3).mean(axis=0) / 255.0
    std = x.reshape(-1, 3).std(axis=0) / 255.0
    scale = tuple(float(v) for v in 1.0 / (255.0 * std))
    offset = tuple(float(v) for v in -mean / std)
    backbone = tiny_resnet()
    pixels = keras.Input(x.shape[1:], dtype="uint8")
    h = keras.layers.Rescaling(list(scale), offset=list(offset))(pixels)
    h = keras.layers.RandomFlip("horizontal", seed=seed)(h)
    h = keras.layers.GlobalAveragePooling2D()(backbone(h))
    out = keras.layers.Dense(int(y.max()) + 1, activation="softmax")(h)
    model = keras.Model(pixels, out)
    model.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=64, epochs=epochs, verbose=0, shuffle=True)
    return backbone, scale, offset


def save_preset(backbone: Any, cache: str | Path, handle: str, *, image_size: int,
                scale: tuple[float, ...] | None, offset: tuple[float, ...] | None) -> Path:
    """Save ``backbone`` and an image converter as the preset ``handle`` in the kagglehub
    cache ``cache``, completion marker included; ``scale=None``: no converter at all."""
    import keras_hub

    parsed = ModelHandle.parse(handle, what="handle")
    folder = Path(cache, "models", *parsed.parts)
    folder.mkdir(parents=True, exist_ok=True)
    backbone.save_to_preset(str(folder))
    if scale is not None:
        keras_hub.layers.ResNetImageConverter(
            image_size=(image_size, image_size), scale=list(scale),
            offset=list(offset) if offset is not None else None).save_to_preset(str(folder))
    folder.with_name(f"{parsed.version}.complete").touch()
    return folder


def pretrained_photo_preset(cache: str | Path, items: np.ndarray, labels: np.ndarray, *,
                            size: int, renders: int, epochs: int, handle: str = TINY_HANDLE,
                            seed: int = 0) -> Path:
    """The whole protocol: ``renders`` photos of each item at ``size`` pixels, a tiny ResNet
    pretrained on them for ``epochs`` epochs, saved as ``handle`` in the cache ``cache``."""
    photos = np.concatenate([render_photos(items, labels, size=size, seed=seed + 1 + r)
                             for r in range(renders)])
    backbone, scale, offset = pretrain_backbone(photos, np.tile(labels, renders),
                                                epochs=epochs, seed=seed)
    return save_preset(backbone, cache, handle, image_size=size, scale=scale, offset=offset)
