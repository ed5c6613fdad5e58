"""One dry run per work folder at a time: an exclusive ``flock`` on ``<workdir>/.lock``.

Two runs in one folder would replace each other's kernels, trees and reports mid-run. The lock
is the operating system's: it is released when the process that holds it ends, however it
ends (a crash, ``kill -9``), so nothing stale is ever left to remove by hand. The holder writes
its process id and command line into the file, so a second run names the first.
"""

from __future__ import annotations

import fcntl
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = ["LOCK_NAME", "WorkdirBusy", "workdir_lock"]

LOCK_NAME = ".lock"


class WorkdirBusy(ValueError):
    """Another process holds the work folder."""


@contextmanager
def workdir_lock(workdir: str | os.PathLike) -> Iterator[Path]:
    """Hold ``workdir`` for this process; ``WorkdirBusy`` naming the holder when another
    process holds it."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / LOCK_NAME
    with open(path, "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "a process that has not written its id yet"
            raise WorkdirBusy(
                f"--workdir {workdir} is in use by another dry run ({holder}): two runs in one "
                "work folder would replace each other's kernels and outputs. Wait for it to "
                "finish (the lock goes when its process ends, however it ends), or choose "
                "another --workdir") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"process {os.getpid()}: {' '.join(sys.argv)}\n")
        fh.flush()
        try:
            yield path
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
