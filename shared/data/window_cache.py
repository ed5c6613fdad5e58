"""Window reads for block shuffling: each window of blocks is read once, block by block.

In block mode an epoch is a run of windows; a window holds ``window_blocks`` contiguous
blocks and its rows are mixed only among themselves. Each window is read once into a
buffer, one contiguous run per block (sequential reads), and its batches are then gathered
from that buffer: one small in-memory gather per batch instead of one per shard touched.
Memory is bounded by ``capacity`` reused buffers of one window each (about 16 MiB by
default), whatever the size of the data set.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from shared.data.gather import ShardGather

__all__ = ["WindowCache"]


class WindowCache:
    """Serves batches of a block-shuffled epoch from bounded, reused window buffers."""

    def __init__(self, gather: ShardGather, rows: np.ndarray | None, window_len: int,
                 with_labels: bool, capacity: int = 3) -> None:
        self.gather = gather
        self.rows = rows
        self.window_len = window_len
        self.with_labels = with_labels
        self.capacity = capacity
        self._reset()

    def _reset(self) -> None:
        self._windows: OrderedDict[tuple[int, int], tuple] = OrderedDict()
        self._spare: list[tuple] = []
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        state = {k: v for k, v in self.__dict__.items()
                 if k not in ("_windows", "_spare", "_lock")}
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._reset()

    def _buffers(self) -> tuple:
        """A window's worth of buffers, reused: fresh large allocations page-fault."""
        if self._spare:
            x, y = self._spare.pop()
        else:
            x = np.empty((self.window_len, self.gather.features), np.uint8)
            y = np.empty((self.window_len, *self.gather.target_shape()),
                         self.gather.target_dtype) if self.with_labels else None
        return x, y

    def _load(self, key: tuple[int, int], positions: np.ndarray) -> tuple:
        while len(self._windows) >= self.capacity:
            self._spare.append(self._windows.popitem(last=False)[1])
        x, y = self._buffers()
        # Runs of consecutive positions are whole blocks (or neighbouring blocks).
        cuts = np.flatnonzero(np.diff(positions) != 1) + 1
        for a, b in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [len(positions)]])):
            run = positions[a:b]
            samples = run if self.rows is None else self.rows[run]
            self.gather.pixels(samples, out=x[a:b])
            if y is not None:
                self.gather.labels(samples, out=y[a:b])
        self._windows[key] = (x, y)
        return x, y

    def _gather(self, epoch: int, w: int, blocks: np.ndarray, local: np.ndarray) -> tuple:
        """Rows ``local`` of window ``w``, copied out while the lock is held: once released,
        another thread may evict the window and refill its buffers with another one."""
        key = (epoch, w)
        with self._lock:
            found = self._windows.get(key)
            if found is None:
                found = self._load(key, blocks[w * self.window_len:(w + 1) * self.window_len])
            x, y = found
            return np.take(x, local, axis=0), None if y is None else np.take(y, local, axis=0)

    def read(self, epoch: int, blocks: np.ndarray, mix: np.ndarray, lo: int, hi: int):
        """Flat uint8 pixels and labels of final order positions ``[lo, hi)`` of ``epoch``,
        whose block order is ``(blocks, mix)`` (see ``order.block_order``)."""
        w_len = self.window_len
        first, last = lo // w_len, (hi - 1) // w_len
        if first == last:  # the common case: the batch lies inside one window
            return self._gather(epoch, first, blocks, mix[lo:hi])
        parts = [self.read(epoch, blocks, mix, max(lo, w * w_len), min(hi, (w + 1) * w_len))
                 for w in range(first, last + 1)]
        pixels = np.concatenate([p[0] for p in parts])
        return pixels, None if parts[0][1] is None else np.concatenate([p[1] for p in parts])
