"""Writing a whole file atomically: a hidden temporary name, fsync, rename, fsync the folder.

A reader (or a re-run after a crash) sees the old file or the complete new one, never a
half-written file under the final name. The temporary name is ``.<name>.tmp``, which the
shard writer's start-up sweep removes when a run died before renaming.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_bytes_atomic", "write_text_atomic", "fsync_dir"]


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` via ``.<name>.tmp``, fsync and rename; returns ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return path


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """``write_bytes_atomic`` for text."""
    return write_bytes_atomic(path, text.encode(encoding))


def fsync_dir(path: str | os.PathLike) -> None:
    """Make a rename in ``path`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
