"""Competitions in the layouts Kaggle ships without a labels CSV, and zipped, from Fashion-MNIST.

- ``file_names``: Dogs vs. Cats Redux's shape. ``train/cat.0.jpg``, ``train/dog.1.jpg`` (two
  garment classes named ``cat`` and ``dog``), ``test/1.jpg`` .., and a sample ``id,label``
  whose ``0.5`` asks for P(dog); the competition is scored by log loss.
- ``class_folders``: ``train/<class>/<name>.png``, the ImageFolder layout, the same file name
  in several class folders; the sample asks for a class per test id.
- ``image_folder``: a labels CSV and the images found by id (the embedded example's shape).

``zipped`` puts each split's folder into ``<split>.zip`` (members ``train/...``, as Kaggle's
downloads hold them) and removes the folder. ``solution.csv`` holds the true class of each
test id, for the dry run's local score.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from host.examples.fashion_mnist import CLASSES, LICENSE
from shared.checks import check_choice

__all__ = ["LayoutExample", "LAYOUTS", "write_layout_example"]

LAYOUTS = ("file_names", "class_folders", "image_folder")
PETS = {1: "cat", 8: "dog"}  # file_names: trousers are cats, bags are dogs


@dataclass(frozen=True)
class LayoutExample:
    """Which layout to write, zipped or not, with which image format."""

    layout: str = "file_names"
    zipped: bool = False
    ext: str = ".jpg"

    def __post_init__(self) -> None:
        check_choice("layout", self.layout, LAYOUTS)
        check_choice("ext", self.ext, (".jpg", ".png"))


def _save(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(pixels.reshape(pixels.shape[0], pixels.shape[1]), "L")
    image.save(path, **({"quality": 95} if path.suffix == ".jpg" else {}))


def _pets(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, list[str]]:
    keep = np.isin(y, list(PETS))
    return x[keep], [PETS[int(k)] for k in y[keep]]


def _zip_folder(root: Path, folder: str) -> None:
    with zipfile.ZipFile(root / f"{folder}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(root).as_posix())
    shutil.rmtree(root / folder)


def _write(root: Path, example: LayoutExample, x_train, y_train, x_test, y_test) -> None:
    ext = example.ext
    if example.layout == "file_names":
        x_train, train_labels = _pets(x_train, y_train)
        x_test, truth = _pets(x_test, y_test)
        for i, (pixels, label) in enumerate(zip(x_train, train_labels)):
            _save(root / "train" / f"{label}.{i}{ext}", pixels)  # cat.0, dog.1, cat.2 ..
        ids = [str(i + 1) for i in range(len(x_test))]
        sample = pd.DataFrame({"id": ids, "label": "0.5"})
    else:
        names = [CLASSES[int(k)] for k in y_train]
        for i, (pixels, label) in enumerate(zip(x_train, names)):
            if example.layout == "class_folders":  # numbered per class: names recur
                _save(root / "train" / label / f"{names[:i].count(label):04d}{ext}", pixels)
            else:
                _save(root / "train" / f"tr{i:04d}{ext}", pixels)
        if example.layout == "image_folder":
            pd.DataFrame({"id": [f"tr{i:04d}" for i in range(len(names))],
                          "label": names}).to_csv(root / "train.csv", index=False)
        truth = [CLASSES[int(k)] for k in y_test]
        ids = [f"te{i:04d}" for i in range(len(x_test))]
        sample = pd.DataFrame({"id": ids, "label": CLASSES[0]})
    for pixels, image_id in zip(x_test, ids):
        _save(root / "test" / f"{image_id}{ext}", pixels)
    sample.to_csv(root / "sample_submission.csv", index=False)
    pd.DataFrame({"id": ids, "label": truth}).to_csv(root / "solution.csv", index=False)
    if example.zipped:
        for folder in ("train", "test"):
            _zip_folder(root, folder)


def write_layout_example(out: str | os.PathLike, example: LayoutExample, x_train: np.ndarray,
                         y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> Path:
    """Write the competition into ``out`` (replaced whole, only once complete); images
    ``(n, h, w[, 1])`` uint8, Fashion-MNIST class indices."""
    out = Path(out)
    partial = out.with_name(f".{out.name}.partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    _write(partial, example, x_train, np.asarray(y_train), x_test, np.asarray(y_test))
    (partial / "LICENSE.txt").write_text(LICENSE)
    if out.exists():
        shutil.rmtree(out)
    os.replace(partial, out)
    return out
