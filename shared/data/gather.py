"""Reading samples out of a split's shards: lazy memory maps, normalisation on the fly.

A ``ShardGather`` pickles as the split's paths alone; each process opens the maps it needs
the first time it reads (pickling an ``np.memmap`` would copy its whole content).
"""

from __future__ import annotations

import numpy as np

from shared.data.normalization import Normalization
from shared.store.reader import SplitIndex

__all__ = ["ShardGather", "TOUCH_STRIDE"]

TOUCH_STRIDE = 2**16  # the kernel maps up to 16 pages around a fault on a file mapping


class ShardGather:
    """Gathers samples by index across all shards of one split."""

    def __init__(self, split: SplitIndex, normalization: Normalization = Normalization(),
                 target_dtype: np.dtype | type = np.int32) -> None:
        self.split = split
        self.normalization = normalization
        self.target_dtype = np.dtype(target_dtype)
        self._offsets = split.offsets
        height, width, channels = split.sample_shape
        self.features = height * width * channels
        a, b = normalization.coefficients(channels)
        # One scalar when every channel shares it, else tiled over the flattened sample.
        self._a = np.float32(a[0]) if np.all(a == a[0]) else np.tile(a, height * width)
        self._b = None if b is None else np.tile(b, height * width)
        self._maps: dict[tuple[int, str], np.ndarray] = {}

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_maps"] = {}
        return state

    def _map(self, shard: int, key: str) -> np.ndarray:
        found = self._maps.get((shard, key))
        if found is None:
            path = getattr(self.split.shards[shard], key)
            mapped = np.load(path, mmap_mode="r", allow_pickle=False)
            # A plain ndarray view of the map: np.memmap's subclass hooks cost more per batch
            # than the copy itself. Pixels are viewed as (count, H*W*C) rows.
            found = mapped.view(np.ndarray).reshape(len(mapped), -1) if key == "x" else \
                mapped.view(np.ndarray)
            self._maps[(shard, key)] = found
        return found

    def _segments(self, samples: np.ndarray):
        """``(shard, local_indices, out_slice)`` for sorted ``samples``."""
        bounds = np.searchsorted(samples, self._offsets)
        for shard in np.flatnonzero(bounds[1:] > bounds[:-1]):
            lo, hi = int(bounds[shard]), int(bounds[shard + 1])
            yield int(shard), samples[lo:hi] - self._offsets[shard], slice(lo, hi)

    @staticmethod
    def _take(source: np.ndarray, local: np.ndarray) -> np.ndarray:
        first, last = int(local[0]), int(local[-1])
        if last - first + 1 == len(local):
            return source[first:last + 1]  # contiguous: a view, no copy
        return source[local]

    def pixels(self, samples: np.ndarray, *, flat: bool = False,
               out: np.ndarray | None = None) -> np.ndarray:
        """Raw uint8 samples, ``(n, H, W, C)`` or ``(n, H*W*C)`` when ``flat`` (or into
        ``out``, of shape ``(n, H*W*C)``); ``samples`` sorted ascending."""
        if out is None:
            out = np.empty((len(samples), self.features), np.uint8)
        for shard, local, where in self._segments(samples):
            out[where] = self._take(self._map(shard, "x"), local)
        return out if flat else out.reshape(len(samples), *self.split.sample_shape)

    def rows(self, samples: np.ndarray) -> np.ndarray:
        """Raw uint8 samples in the order given (any order), ``(n, H*W*C)``: each row copied
        once, straight from its mapped shard (for large samples, where a row's copy outweighs
        the Python step that moves it)."""
        out = np.empty((len(samples), self.features), np.uint8)
        shards = np.searchsorted(self._offsets, samples, side="right") - 1
        local = samples - self._offsets[shards]
        shards, local = shards.tolist(), local.tolist()
        maps = {k: self._map(k, "x") for k in set(shards)}
        for i, (shard, row) in enumerate(zip(shards, local)):
            out[i] = maps[shard][row]
        return out

    def labels_in_order(self, samples: np.ndarray) -> np.ndarray:
        """Targets of ``samples`` in the order given (any order)."""
        order = np.argsort(samples, kind="stable")
        out = np.empty((len(samples), *self.target_shape()), self.target_dtype)
        out[order] = self.labels(samples[order])
        return out

    def touch(self, first: int, last: int) -> None:
        """Read one byte in every ``TOUCH_STRIDE`` of the pixels of samples ``first..last``:
        the kernel reads those pages (and, around each fault, their neighbours) into memory
        and maps them, so a later copy of these rows neither waits on the disk nor faults."""
        lo = int(np.searchsorted(self._offsets, first, side="right")) - 1
        hi = int(np.searchsorted(self._offsets, last, side="right")) - 1
        for shard in range(lo, hi + 1):
            start = max(first, int(self._offsets[shard])) - int(self._offsets[shard])
            stop = min(last + 1, int(self._offsets[shard + 1])) - int(self._offsets[shard])
            flat = self._map(shard, "x")[start:stop].reshape(-1)
            np.add.reduce(flat[::TOUCH_STRIDE], dtype=np.uint64)

    def normalize(self, pixels: np.ndarray) -> np.ndarray:
        """float32 ``(n, H, W, C)`` from uint8 pixels (flat or not)."""
        out = np.multiply(pixels.reshape(len(pixels), self.features), self._a,
                          dtype=np.float32)
        if self._b is not None:
            out += self._b
        return out.reshape(len(pixels), *self.split.sample_shape)

    def target_shape(self) -> tuple[int, ...]:
        """The shape of one sample's target: ``()``, or ``(K,)`` for multi-hot rows."""
        return self._map(0, "y").shape[1:] if self.split.shards else ()

    def labels(self, samples: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
        """Targets as ``target_dtype`` (or into ``out``): class indices, multi-hot rows or
        values; ``samples`` sorted ascending."""
        if out is None:
            out = np.empty((len(samples), *self.target_shape()), self.target_dtype)
        for shard, local, where in self._segments(samples):
            out[where] = self._take(self._map(shard, "y"), local)
        return out
