"""Block shuffling for large samples: each row copied once, the next window read ahead by
a background thread that touches its pages.

``WindowCache`` copies a window into a buffer and then each batch out of it: two copies of
every sample, which for small samples buys one gather per batch instead of one per shard.
For larger samples (``DIRECT_MIN_BYTES`` and up: a 64x64x3 image is 12 KiB, a 224x224x3
one 147 KiB) the Python step per row is small against the row's copy, so ``DirectReads``
copies each row of a batch straight from its mapped shard into the batch, in the batch's
order: one copy, no window buffers. Read-ahead: while batches are served from one window,
a background thread reads the next window's blocks, one byte in every 64 KiB
(``ShardGather.touch``): the kernel reads those pages from disk (with its own read-ahead
around them) and maps them, so the batches' copies find them in memory, and no thread
copies anything twice. Batches are the very ones ``WindowCache`` serves.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

from shared.data.block_reader import BlockReader, Key
from shared.data.order import compose_block_order

__all__ = ["DirectReads", "DIRECT_MIN_BYTES"]

# Measured (loader alone, uint8 out, 2 cores): window buffers were 2.3x faster for 32x32x3
# samples and 1.1-1.3x for 48x48x3 (6.9 KB); one copy per row was 1.2x faster for 64x64x3
# (12 KB), 1.5x for 96x96x3 and 1.5-1.9x for 224x224x3.
DIRECT_MIN_BYTES = 8 * 2**10


class DirectReads(BlockReader):
    """The ``WindowCache`` interface without window buffers (see the module docstring)."""

    _transient = ("_asked", "_lock")

    def _reset(self) -> None:
        self._asked: OrderedDict[Key, threading.Thread] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, epoch: int, blocks: np.ndarray, mix: np.ndarray, lo: int, hi: int):
        """Flat uint8 pixels and labels of final order positions ``[lo, hi)`` of ``epoch``."""
        positions = compose_block_order(blocks, mix, self.window_len, lo, hi)
        samples = positions if self.rows is None else self.rows[positions]
        labels = self.gather.labels_in_order(samples) if self.with_labels else None
        return self.gather.rows(samples), labels

    def resident(self) -> list[Key]:
        """Windows held in memory: none (the page cache holds what was read)."""
        return []

    def prefetch(self, key: Key, positions: Callable[[], np.ndarray]) -> bool:
        """Have a background thread read window ``key``'s blocks into memory (see the module
        docstring); True when one was started."""
        with self._lock:
            if key in self._asked:
                return False
            while len(self._asked) >= self.capacity:
                self._asked.popitem(last=False)
            thread = threading.Thread(target=self._read, args=(positions,),
                                      name=f"window-read-ahead-{key}", daemon=True)
            self._asked[key] = thread
        thread.start()
        return True

    def _read(self, positions: Callable[[], np.ndarray]) -> None:
        try:
            window = positions()
            cuts = np.flatnonzero(np.diff(window) != 1) + 1
            for run in np.split(window, cuts):  # one block (or neighbouring blocks) each
                samples = run if self.rows is None else self.rows[run]
                self.gather.touch(int(samples[0]), int(samples[-1]))
        except Exception:  # ahead of time only: the batch's own copy reads and reports it
            pass
