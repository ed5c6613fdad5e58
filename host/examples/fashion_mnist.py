"""The embedded example: an image-folder competition built from Fashion-MNIST's IDX files.

Writes what an image-folder Kaggle competition ships: ``train/<id>.png``, ``train.csv``
(id,label), ``test/<id>.png``, ``sample_submission.csv`` (id,label; test ids in order) and,
kept for local scoring only, ``solution.csv`` (the test labels; the dry run never mounts it).
Ids are 10 hex characters, labels are class names: both the way real competitions trip up
naive readers (``"0e12345678"`` parses as a float).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from host.examples.idx import load_fashion_mnist

__all__ = ["CLASSES", "LICENSE", "unique_ids", "build"]

CLASSES = ("tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
           "bag", "ankle-boot")
LICENSE = """\
Images and labels: Fashion-MNIST, https://github.com/zalandoresearch/fashion-mnist
The MIT License (MIT) Copyright (c) 2017 Zalando SE, https://tech.zalando.com

Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the "Software"), to deal in the Software
without restriction, including without limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to
whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def unique_ids(count: int, rng: np.random.Generator) -> list[str]:
    ids: set[str] = set()
    while len(ids) < count:
        ids.update(f"{v:010x}" for v in rng.integers(0, 16**10, count - len(ids)))
    # Sorted first: a set's order follows string hashes, which PYTHONHASHSEED varies.
    return [str(i) for i in rng.permutation(sorted(ids))]


def write_split(folder: Path, images: np.ndarray, ids: list[str]) -> None:
    folder.mkdir(parents=True)
    for image, name in zip(images, ids):
        Image.fromarray(image, mode="L").save(folder / f"{name}.png", optimize=True)


def build(out: Path, train: int, test: int, idx_dir: str | None, seed: int) -> None:
    x_train, y_train, x_test, y_test = load_fashion_mnist(idx_dir)
    if train > len(x_train) or test > len(x_test):
        raise ValueError(f"asked for {train} train / {test} test images; Fashion-MNIST has "
                         f"{len(x_train)} / {len(x_test)}")
    rng = np.random.default_rng(seed)
    ids = unique_ids(train + test, rng)
    train_ids, test_ids = ids[:train], ids[train:]
    partial = out.with_name(f".{out.name}.partial")
    if partial.exists():
        shutil.rmtree(partial)
    write_split(partial / "train", x_train[:train], train_ids)
    write_split(partial / "test", x_test[:test], test_ids)
    names = np.asarray(CLASSES)
    pd.DataFrame({"id": train_ids, "label": names[y_train[:train]]}).to_csv(
        partial / "train.csv", index=False)
    pd.DataFrame({"id": test_ids, "label": CLASSES[0]}).to_csv(
        partial / "sample_submission.csv", index=False)
    pd.DataFrame({"id": test_ids, "label": names[y_test[:test]]}).to_csv(
        partial / "solution.csv", index=False)
    (partial / "LICENSE.txt").write_text(LICENSE)
    if out.exists():
        shutil.rmtree(out)
    os.replace(partial, out)
    print(f"wrote {train} train and {test} test images to {out}")
