"""Window reads for block shuffling: each window of blocks is read once, the next one ahead.

In block mode an epoch is a run of windows; a window holds ``window_blocks`` contiguous
blocks and its rows are mixed only among themselves. Each window is read once into a
buffer, one contiguous run per block (sequential reads), and its batches are then gathered
from that buffer: one small in-memory gather per batch instead of one per shard touched.

Read-ahead: while batches are served from one window, ``prefetch`` has a background thread
read the next one. The lock guards only the table of windows, never a disk read or a copy:
a reader pins its window, reads (or waits for the read of that same window) and copies
with the lock released, so a batch whose window is in memory never waits on another
window's read, and worker threads copy in parallel. Memory is bounded by ``capacity``
reused window buffers (about 16 MiB each by default); a window in use is never evicted, so
with more threads than that at a window boundary the cache briefly holds one more.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

from shared.data.block_reader import BlockReader, Key

__all__ = ["WindowCache"]



class _Window:
    """One window's buffers, read once; ``pins`` counts the threads using it."""

    __slots__ = ("x", "y", "ready", "error", "pins")

    def __init__(self, x: np.ndarray, y: np.ndarray | None) -> None:
        self.x, self.y = x, y
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.pins = 1


class WindowCache(BlockReader):
    """Serves batches of a block-shuffled epoch from bounded, reused window buffers."""

    _transient = ("_windows", "_spare", "_lock")

    def _reset(self) -> None:
        self._windows: OrderedDict[Key, _Window] = OrderedDict()  # least recently used first
        self._spare: list[tuple] = []
        self._lock = threading.Lock()

    def _buffers(self) -> tuple:
        """A window's worth of buffers, reused: fresh large allocations page-fault."""
        if self._spare:
            return self._spare.pop()
        x = np.empty((self.window_len, self.gather.features), np.uint8)
        y = np.empty((self.window_len, *self.gather.target_shape()),
                     self.gather.target_dtype) if self.with_labels else None
        return x, y

    def _claim(self, key: Key) -> tuple[_Window, bool]:
        """The window of ``key``, pinned, and whether the caller must read it (lock held
        only for the table: no disk read, no copy)."""
        with self._lock:
            window = self._windows.get(key)
            if window is not None:
                window.pins += 1
                self._windows.move_to_end(key)
                return window, False
            while len(self._windows) >= self.capacity:
                idle = next((k for k, w in self._windows.items()
                             if w.pins == 0 and w.ready.is_set()), None)
                if idle is None:
                    break  # every window is in use: hold one more until one is released
                old = self._windows.pop(idle)
                if old.error is None and len(self._spare) < self.capacity:
                    self._spare.append((old.x, old.y))
            window = _Window(*self._buffers())
            self._windows[key] = window
            return window, True

    def _release(self, key: Key, window: _Window) -> None:
        with self._lock:
            window.pins -= 1
            if window.error is not None and self._windows.get(key) is window:
                del self._windows[key]  # a failed read is retried by the next reader

    def _fill(self, window: _Window, positions: np.ndarray) -> None:
        """Read the samples at ``positions`` into the window; runs of consecutive positions
        are whole blocks (or neighbouring blocks), each read as one slice."""
        try:
            cuts = np.flatnonzero(np.diff(positions) != 1) + 1
            starts = np.concatenate([[0], cuts])
            stops = np.concatenate([cuts, [len(positions)]])
            for a, b in zip(starts.tolist(), stops.tolist()):
                run = positions[a:b]
                samples = run if self.rows is None else self.rows[run]
                self.gather.pixels(samples, out=window.x[a:b])
                if window.y is not None:
                    self.gather.labels(samples, out=window.y[a:b])
        except BaseException as exc:  # handed to every reader of this window
            window.error = exc
        finally:
            window.ready.set()

    def _gather(self, epoch: int, w: int, blocks: np.ndarray, local: np.ndarray) -> tuple:
        """Rows ``local`` of window ``w``: read it first if no thread has."""
        key = (epoch, w)
        window, mine = self._claim(key)
        try:
            if mine:
                self._fill(window, blocks[w * self.window_len:(w + 1) * self.window_len])
            elif not window.ready.is_set():
                window.ready.wait()
            if window.error is not None:
                raise window.error
            y = window.y
            return window.x.take(local, axis=0), None if y is None else y.take(local, axis=0)
        finally:
            self._release(key, window)

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

    def resident(self) -> list[Key]:
        """The ``(epoch, window)`` keys read and held in memory, least recently used first."""
        with self._lock:
            return [k for k, w in self._windows.items() if w.ready.is_set() and w.error is None]

    def prefetch(self, key: Key, positions: Callable[[], np.ndarray]) -> bool:
        """Start reading window ``key`` in a background thread unless it is already in
        memory or being read; ``positions()`` (called in that thread) gives its slice of
        the epoch's ``blocks``. True when a read was started."""
        with self._lock:
            if key in self._windows:
                return False
        window, mine = self._claim(key)  # another thread may have claimed it meanwhile
        if not mine:
            self._release(key, window)
            return False

        def run() -> None:
            try:
                self._fill(window, positions())
            except BaseException as exc:  # positions() failed: readers see it
                window.error = exc
                window.ready.set()
            finally:
                self._release(key, window)

        threading.Thread(target=run, name=f"window-read-ahead-{key}", daemon=True).start()
        return True
