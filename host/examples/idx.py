"""Read the IDX files that MNIST and Fashion-MNIST ship in (``*-idx3-ubyte[.gz]``)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

__all__ = ["read_idx", "find_fashion_mnist", "load_fashion_mnist"]

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in one IDX file (gzip-compressed or not)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {data[:4].hex()})")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    array = np.frombuffer(data, dtype=_DTYPES[data[2]], offset=4 + 4 * ndim)
    if array.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says shape {shape}, found {array.size} values")
    return array.reshape(shape)


def find_fashion_mnist(folder: str | Path | None = None) -> Path:
    """The folder holding Fashion-MNIST's four IDX files."""
    candidates = [Path(folder)] if folder else [DEBIAN_DIR]
    for c in candidates:
        if (c / "train-images-idx3-ubyte.gz").exists() or (c / "train-images-idx3-ubyte").exists():
            return c
    raise FileNotFoundError(
        f"Fashion-MNIST IDX files not found in {', '.join(map(str, candidates))}: install them "
        "with 'apt-get install dataset-fashion-mnist', or pass --idx-dir DIR holding "
        "train-images-idx3-ubyte.gz and the three other files")


def load_fashion_mnist(folder: str | Path | None = None):
    """``(x_train, y_train, x_test, y_test)``: uint8 images (n, 28, 28) and labels."""
    root = find_fashion_mnist(folder)

    def part(stem: str) -> np.ndarray:
        gz = root / f"{stem}.gz"
        return read_idx(gz if gz.exists() else root / stem)

    return (part("train-images-idx3-ubyte"), part("train-labels-idx1-ubyte"),
            part("t10k-images-idx3-ubyte"), part("t10k-labels-idx1-ubyte"))
