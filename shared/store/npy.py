"""Standard ``.npy`` files with a header that can be rewritten in place.

A shard file is created for its planned capacity; when rows are rejected it holds fewer
samples, so its header is rewritten with the final shape and the file truncated. The
header is padded to a length fixed by the capacity shape, so the rewrite never moves the
data. The result is an ordinary version 1.0 ``.npy`` file (``np.load(mmap_mode="r")``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

__all__ = ["header_bytes", "header_size", "npy_file_size", "read_header", "sha256_file"]

_MAGIC = b"\x93NUMPY\x01\x00"
_ALIGN = 64


def _header_dict(shape: tuple[int, ...], dtype: np.dtype) -> bytes:
    descr = np.lib.format.dtype_to_descr(np.dtype(dtype))
    return repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)}).encode("latin1")


def header_size(capacity_shape: tuple[int, ...], dtype: np.dtype) -> int:
    """Bytes before the data for a file planned to hold ``capacity_shape``."""
    needed = len(_MAGIC) + 2 + len(_header_dict(capacity_shape, dtype)) + 1
    return -(-needed // _ALIGN) * _ALIGN


def header_bytes(shape: tuple[int, ...], dtype: np.dtype, size: int) -> bytes:
    """The header for ``shape``, space-padded to exactly ``size`` bytes."""
    body = _header_dict(shape, dtype)
    pad = size - len(_MAGIC) - 2 - len(body) - 1
    if pad < 0:
        raise ValueError(f"npy header for shape {shape} needs {-pad} more bytes than {size}")
    text = body + b" " * pad + b"\n"
    return _MAGIC + len(text).to_bytes(2, "little") + text


def npy_file_size(shape: tuple[int, ...], dtype: np.dtype) -> int:
    """Size on disk of a file holding ``shape`` (header sized for that same shape)."""
    items = int(np.prod(shape, dtype=np.int64))
    return header_size(shape, dtype) + items * np.dtype(dtype).itemsize


def read_header(path: str | os.PathLike) -> tuple[tuple[int, ...], np.dtype, int]:
    """``(shape, dtype, data_offset)`` of an ``.npy`` file; ValueError if it is not one."""
    with open(path, "rb") as fh:
        try:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        except ValueError as exc:
            raise ValueError(f"{path} is not a readable .npy file ({exc}); the shard is damaged: "
                             "re-run the kernel that wrote it") from None
        if fortran:
            raise ValueError(f"{path} is stored in Fortran order; shards must be C order")
        return tuple(shape), dtype, fh.tell()


def sha256_file(path: str | Path, chunk: int = 4 * 2**20) -> str:
    """Hex SHA-256 of a whole file (``sha256sum`` prints the same)."""
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as fh:
        buf = bytearray(chunk)
        view = memoryview(buf)
        while True:
            n = fh.readinto(buf)
            if not n:
                break
            digest.update(view[:n])
    return digest.hexdigest()
