"""Memory and disk readings for the per-epoch resource line.

The origin article printed ``vmstat -S m`` after each epoch to show that memory stayed flat
while training from a memory map. These are the same facts, readable: this process's
resident set (and how much of it is anonymous memory, the part a memory map does not
explain), the host's page cache (where memory-mapped shards live), and free disk space.
Values are None where ``/proc`` does not exist (macOS).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from shared.units import format_size

__all__ = ["ResourceSnapshot", "take_snapshot"]


def _proc_kb(path: str, field: str) -> int | None:
    try:
        with open(path, encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@dataclass(frozen=True)
class ResourceSnapshot:
    """Bytes: process RSS, its anonymous part, peak RSS, host page cache, free disk."""

    rss: int | None
    anon: int | None
    peak_rss: int | None
    page_cache: int | None
    available: int | None
    free_disk: int

    def line(self, disk_path: str | Path) -> str:
        show = lambda v: "n/a" if v is None else format_size(v)  # noqa: E731
        return (f"rss {show(self.rss)} (anon {show(self.anon)}, peak {show(self.peak_rss)}), "
                f"page cache {show(self.page_cache)}, available {show(self.available)}, "
                f"free disk {show(self.free_disk)} in {disk_path}")


def take_snapshot(disk_path: str | Path) -> ResourceSnapshot:
    """Read ``/proc/self/status``, ``/proc/meminfo`` and the free space at ``disk_path``."""
    return ResourceSnapshot(
        rss=_proc_kb("/proc/self/status", "VmRSS"),
        anon=_proc_kb("/proc/self/status", "RssAnon"),
        peak_rss=_proc_kb("/proc/self/status", "VmHWM"),
        page_cache=_proc_kb("/proc/meminfo", "Cached"),
        available=_proc_kb("/proc/meminfo", "MemAvailable"),
        free_disk=shutil.disk_usage(disk_path).free,
    )
