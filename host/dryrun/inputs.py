"""Kaggle inputs are read-only: snapshot them before a kernel, compare after it."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["snapshot", "changes"]


def _digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def snapshot(folder: Path, *, content: bool = True) -> dict[str, tuple]:
    """``relative path -> (size, sha256 or mtime)`` of every file below ``folder``,
    following the mount links."""
    found: dict[str, tuple] = {}
    for dirpath, dirnames, files in os.walk(folder, followlinks=True):
        dirnames.sort()
        for name in sorted(files):
            path = os.path.join(dirpath, name)
            stat = os.stat(path)
            found[os.path.relpath(path, folder)] = (
                stat.st_size, _digest(path) if content else stat.st_mtime_ns)
    return found


def changes(before: dict[str, tuple], after: dict[str, tuple], limit: int = 5) -> list[str]:
    """Readable differences: added, removed and modified files (at most ``limit``)."""
    out = [f"added {p}" for p in sorted(after.keys() - before.keys())]
    out += [f"removed {p}" for p in sorted(before.keys() - after.keys())]
    out += [f"modified {p}" for p in sorted(before.keys() & after.keys())
            if before[p] != after[p]]
    return out[:limit] + ([f"... and {len(out) - limit} more"] if len(out) > limit else [])
