"""Disk space: free-space checks and reserving a file's bytes before writing it.

Writing through a memory map on a full disk kills the process with SIGBUS. Reserving the
blocks first turns a full disk into an ``OSError`` raised here, with the numbers.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from shared.units import format_size

__all__ = ["free_bytes", "reserve", "DiskFullError"]

_ZEROS = bytes(4 * 2**20)


class DiskFullError(OSError):
    """Not enough free space to reserve a shard's bytes."""


def free_bytes(path: str | Path) -> int:
    """Bytes available to this user on the filesystem holding ``path``."""
    path = Path(path)
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


def reserve(fd: int, size: int, *, name: str) -> None:
    """Allocate ``size`` bytes for the open file ``fd`` (posix_fallocate, else zero-fill)."""
    try:
        if hasattr(os, "posix_fallocate"):
            try:
                os.posix_fallocate(fd, 0, size)
                return
            except OSError as exc:
                if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                    raise
        _zero_fill(fd, size)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFullError(
                exc.errno,
                f"no space left to reserve {format_size(size)} for {name}: "
                f"{format_size(free_bytes(os.path.dirname(name) or '.'))} free. Free disk space, "
                "or lower [plan] kernel_budget so that each kernel writes less") from None
        raise


def _zero_fill(fd: int, size: int) -> None:
    """Portable fallback: really write the bytes, so that later writes cannot fail."""
    os.lseek(fd, 0, os.SEEK_SET)
    remaining = size
    while remaining > 0:
        n = os.write(fd, _ZEROS[: min(remaining, len(_ZEROS))])
        remaining -= n
    os.fsync(fd)
