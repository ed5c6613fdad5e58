"""The validated rows of a kernel's assigned ranges, looked up by split and row number."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from shared.sources import SplitRows

__all__ = ["AssignedRows"]


class AssignedRows:
    """Ids, class indices and image names of every assigned range (read before writing)."""

    def __init__(self, tables: Sequence[SplitRows]) -> None:
        self._tables = sorted(tables, key=lambda t: (t.split, t.start))

    def _slice(self, attr: str, split: str, start: int, stop: int) -> np.ndarray | None:
        parts = []
        for t in self._tables:
            if t.split == split and t.start < stop and start < t.stop:
                values = getattr(t, attr)
                if values is None:
                    return None
                parts.append(values[max(start, t.start) - t.start:min(stop, t.stop) - t.start])
        out = np.concatenate(parts) if parts else np.empty(0)
        if len(out) != stop - start:
            raise ValueError(f"{split} rows [{start}, {stop}) are not all in this kernel's "
                             "assigned ranges")
        return out

    def ids(self, split: str, start: int, stop: int) -> np.ndarray:
        return self._slice("ids", split, start, stop)

    def labels(self, split: str, start: int, stop: int) -> np.ndarray | None:
        """Class indices (train), or None (test)."""
        return self._slice("labels", split, start, stop)

    def names(self, split: str, start: int, stop: int) -> tuple[str, ...]:
        """What locates each row's image (its id or path)."""
        return tuple(str(n) for n in self._slice("names", split, start, stop))
