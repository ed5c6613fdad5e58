"""What ``ShardedSequence`` reads block-shuffled batches through: the shared part of
``WindowCache`` (window buffers) and ``DirectReads`` (one copy per row).

Both are built from the same arguments, keep their thread state (locks, read-ahead threads,
buffers) out of pickling, and rebuild it on arrival in another process.
"""

from __future__ import annotations

import numpy as np

from shared.data.gather import ShardGather

__all__ = ["BlockReader", "Key"]

Key = tuple[int, int]  # (epoch, window)


class BlockReader:
    """Reads epochs of a block-shuffled order; subclasses hold their thread state in the
    attributes named by ``_transient``, made by ``_reset``."""

    _transient: tuple[str, ...] = ()

    def __init__(self, gather: ShardGather, rows: np.ndarray | None, window_len: int,
                 with_labels: bool, capacity: int = 3) -> None:
        self.gather = gather
        self.rows = rows
        self.window_len = window_len
        self.with_labels = with_labels
        self.capacity = capacity
        self._reset()

    def _reset(self) -> None:
        raise NotImplementedError

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in self._transient}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._reset()
