"""Shared memory for decoded samples: a worker writes a job's pixels where the writer reads them.

Returned through the pool, a job's pixels are pickled, sent down a pipe and unpickled: three
copies and two system calls per byte, made by the main process and the pool's result thread
on the cores the decoding workers need (about a tenth of a kernel's CPU time for 224x224x3
photos on 2 cores). Instead, the main process maps one anonymous shared region before the
pool forks its workers, cut into ``slots`` slots of one job's rows each; job ``i`` decodes
into slot ``i % slots`` and returns only its row count and failures. The slot is free again
once the main process has written that job, which ``ordered_map``'s bound guarantees when
``slots`` exceeds the jobs it keeps in flight.

Forked workers share the region; where workers are spawned (not Linux), there is no arena
and pixels travel through the pool as before.
"""

from __future__ import annotations

import mmap
import multiprocessing
import sys

import numpy as np

__all__ = ["SlotArena", "workers_share_memory"]


def workers_share_memory() -> bool:
    """Whether pool workers are forked (Linux), and so see a region mapped before the fork."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


class SlotArena:
    """``slots`` slots of ``rows`` uint8 samples of ``shape``, shared with forked children."""

    def __init__(self, slots: int, rows: int, shape: tuple[int, ...]) -> None:
        if slots < 1 or rows < 1:
            raise ValueError(f"a slot arena needs at least 1 slot of 1 row, got {slots} "
                             f"slot(s) of {rows} row(s)")
        self.slots, self.rows, self.shape = slots, rows, tuple(shape)
        item = int(np.prod(self.shape, dtype=np.int64))
        self._map = mmap.mmap(-1, slots * rows * item)
        self._array = np.frombuffer(self._map, np.uint8).reshape(slots, rows, *self.shape)

    @property
    def nbytes(self) -> int:
        return self._array.nbytes

    def view(self, slot: int, count: int) -> np.ndarray:
        """The first ``count`` samples of slot ``slot`` (writable, no copy)."""
        if not 0 <= slot < self.slots or not 0 <= count <= self.rows:
            raise ValueError(f"slot {slot}, {count} rows: the arena has slots 0..{self.slots - 1}"
                             f" of {self.rows} rows")
        return self._array[slot, :count]
