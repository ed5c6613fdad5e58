"""Writing a whole file atomically: a hidden temporary name, fsync, rename, fsync the folder.

A reader (or a re-run after a crash) sees the old file or the complete new one, never a
half-written file under the final name. The temporary name is ``.<name>.tmp``, which the
shard writer's start-up sweep removes when a run died before renaming.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = ["atomic_path", "write_bytes_atomic", "write_text_atomic", "fsync_dir",
           "interrupts_deferred"]


@contextmanager
def atomic_path(path: str | os.PathLike, *, keep_suffix: bool = False) -> Iterator[Path]:
    """A temporary path to write ``path``'s content into; on success it is fsynced and
    renamed to ``path``, on failure removed. ``keep_suffix`` ends the temporary name with
    ``path``'s suffix (``.<stem>.tmp.keras``) for writers that insist on one."""
    path = Path(path)
    name = f".{path.stem}.tmp{path.suffix}" if keep_suffix else f".{path.name}.tmp"
    tmp = path.with_name(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` via ``.<name>.tmp``, fsync and rename; returns ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


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


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold a Ctrl-C (SIGINT) that arrives inside the block and act on it when the block
    ends: a short step that renames files and records them is then done and recorded, or
    not started. Outside the main thread (where Python cannot set handlers) it holds nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held and callable(previous):
        previous(signal.SIGINT, None)  # Python's default handler raises KeyboardInterrupt
    elif held and previous != signal.SIG_IGN:  # SIG_DFL, or a handler set outside Python
        raise KeyboardInterrupt
