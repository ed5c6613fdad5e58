"""Running a kernel without a network, as Kaggle's scoring rerun does (internet off).

``offline_prefix()`` is the command prefix that starts a process in a network namespace of its
own, where nothing is reachable: ``unshare --net`` (root), else ``unshare --map-root-user
--net`` (unprivileged user namespaces), else nothing, and the caller says so.
"""

from __future__ import annotations

import functools
import shutil
import subprocess

__all__ = ["offline_prefix"]

_CANDIDATES = (("unshare", "--net"), ("unshare", "--map-root-user", "--net"))


@functools.lru_cache(maxsize=1)
def offline_prefix() -> tuple[str, ...]:
    """The first prefix that runs ``true`` here without a network; () if none does."""
    if shutil.which("unshare") is None:
        return ()
    for prefix in _CANDIDATES:
        try:
            done = subprocess.run([*prefix, "true"], capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return prefix
    return ()
