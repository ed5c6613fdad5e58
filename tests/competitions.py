"""Tiny competitions in both layouts, written from real Fashion-MNIST images with Pillow/pandas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

CLASS_NAMES = ("tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
               "bag", "boot")


def train_id(row: int) -> str:
    return f"img{row:04d}"


def submission_id(row: int) -> str:
    return f"t{row:03d}"


def save_image(path: Path, pixels: np.ndarray, mode: str = "L") -> None:
    """Save a (28, 28, 1) uint8 sample in ``mode``: L, RGB, RGBA, P, I;16 (16-bit) or LA."""
    gray = pixels[..., 0]
    if mode == "L":
        img = Image.fromarray(gray, "L")
    elif mode == "RGB":
        img = Image.fromarray(np.stack([gray] * 3, -1), "RGB")
    elif mode == "RGBA":  # opaque: the same pixels must come back
        img = Image.fromarray(np.dstack([gray, gray, gray, np.full_like(gray, 255)]), "RGBA")
    elif mode == "P":
        img = Image.fromarray(gray, "L").convert("P")
    elif mode == "I;16":
        img = Image.fromarray(gray.astype(np.uint16) * 257)
    elif mode == "LA":
        img = Image.fromarray(np.dstack([gray, np.full_like(gray, 255)]), "LA")
    else:
        raise ValueError(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


def image_folder(root: Path, fmnist: dict, n_train: int = 60, n_test: int = 20, *,
                 ext: str = ".png", string_labels: bool = True, id_has_ext: bool = False,
                 labels_csv: str = "train.csv", train_dir: str = "train",
                 test_dir: str = "test", modes: tuple[str, ...] = ("L",)) -> Path:
    """An image-folder competition: ``train.csv`` (id,label), images by id, sample submission.

    Row ``i`` uses mode ``modes[i % len(modes)]``; JPEGs are saved at quality 95.
    """
    root.mkdir(parents=True, exist_ok=True)
    names = lambda ids: [i + ext for i in ids] if id_has_ext else ids  # noqa: E731
    train_ids = [train_id(i) for i in range(n_train)]
    test_ids = [submission_id(i) for i in range(n_test)]
    for split, ids, folder, x in (("train", train_ids, train_dir, fmnist["x_train"]),
                                  ("test", test_ids, test_dir, fmnist["x_test"])):
        for i, image_id in enumerate(ids):
            save_image(root / folder / f"{image_id}{ext}", x[i], modes[i % len(modes)])
    labels = fmnist["y_train"][:n_train]
    pd.DataFrame({"id": names(train_ids),
                  "label": [CLASS_NAMES[k] for k in labels] if string_labels else labels}
                 ).to_csv(root / labels_csv, index=False)
    pd.DataFrame({"id": names(test_ids), "label": CLASS_NAMES[0] if string_labels else 0}
                 ).to_csv(root / "sample_submission.csv", index=False)
    return root


def pixel_csv(root: Path, fmnist: dict, n_train: int = 60, n_test: int = 20) -> Path:
    """The Digit Recognizer layout: train.csv (label, pixel0..783), test.csv, ImageId 1..N."""
    root.mkdir(parents=True, exist_ok=True)
    columns = [f"pixel{i}" for i in range(28 * 28)]
    train = pd.DataFrame(fmnist["x_train"][:n_train].reshape(n_train, -1), columns=columns)
    train.insert(0, "label", fmnist["y_train"][:n_train])
    train.to_csv(root / "train.csv", index=False)
    pd.DataFrame(fmnist["x_test"][:n_test].reshape(n_test, -1), columns=columns
                 ).to_csv(root / "test.csv", index=False)
    pd.DataFrame({"ImageId": np.arange(1, n_test + 1), "Label": 0}
                 ).to_csv(root / "sample_submission.csv", index=False)
    return root


# -- one tiny competition per task kind ------------------------------------------------------
TOP_K = 3


def task_competition(root: Path, fmnist: dict, task: str, n_train: int = 600,
                     n_test: int = 100) -> Path:
    """An image-folder competition of kind ``task`` with its ``solution.csv``: trousers
    against the rest for the binary kind (easy in a few epochs), 3 labels for top-k."""
    from host.examples.task_competitions import TaskExample, write_task_example

    example = TaskExample(task=task, positive=1, top_k=TOP_K)
    return write_task_example(root, example, fmnist["x_train"][:n_train],
                              fmnist["y_train"][:n_train], fmnist["x_test"][:n_test],
                              fmnist["y_test"][:n_test])
