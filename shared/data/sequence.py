"""ShardedSequence: a ``keras.utils.PyDataset`` over every shard of a split.

Train with::

    train = ShardedSequence(index, rows=train_rows, batch_size=128, shuffle="block", seed=42,
                            drop_remainder=True)           # repeat=True for shuffled data
    model.fit(train, epochs=15, steps_per_epoch=train.steps_per_epoch, shuffle=False,
              validation_data=ShardedSequence(index, rows=val_rows, batch_size=512))

Always pass ``shuffle=False`` to ``fit``: otherwise Keras reshuffles the batch order itself,
unseeded, which breaks both read locality and reproducibility.

A shuffled sequence repeats (``num_batches`` is ``None``) and batch ``i`` belongs to epoch
``start_epoch + i // steps_per_epoch``: every batch is a pure function of
``(seed, epoch, index)``, identical in any worker thread or process. An epoch counter kept in
``on_epoch_end`` would not be: Keras 3 calls ``on_epoch_end`` once before the first epoch
(when ``fit`` resets its iterator), worker processes only see a changed counter when their
pool is re-created, and the next epoch's iterator is created before ``on_epoch_end`` runs.
Pass ``steps_per_epoch`` to ``fit``; to resume at epoch ``k``, build the sequence with
``start_epoch=k`` and call ``fit(..., initial_epoch=k)``.
"""

from __future__ import annotations

import threading
from typing import Callable

import keras
import numpy as np

from shared.data.gather import Normalization, ShardGather
from shared.data.order import (ShuffleOptions, block_order, compose_block_order,
                               default_block_rows, epoch_order, index_dtype)
from shared.data.window_cache import WindowCache
from shared.store.reader import SplitIndex

__all__ = ["ShardedSequence", "Normalization"]

Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]


class ShardedSequence(keras.utils.PyDataset):
    """Batches of ``(x, y)`` (or ``x`` alone) read from a split's shards.

    Args:
        index: the split, from ``ShardSet.discover(root).split("train")``.
        rows: sample indices to use (e.g. one side of ``holdout``); default all samples.
        batch_size: samples per batch.
        shuffle: ``"none"``, ``"block"`` or ``"full"`` (see ``ShuffleOptions``).
        seed, block_rows, window_blocks: the shuffle's settings; ``block_rows=0`` picks about
            1 MiB of samples per block.
        drop_remainder: drop each epoch's last partial batch (fixed batch shapes).
        repeat: serve epoch after epoch (``None``: when shuffled); see module docstring.
        start_epoch: the epoch of batch 0 (to resume training).
        labels: ``"sparse"`` (int32 class indices), ``"onehot"`` (float32) or ``None`` (x only).
        normalization: how uint8 pixels become float32.
        augment: ``f(x_batch, rng) -> x_batch``, a picklable function; ``rng`` is seeded by
            ``(seed, epoch, batch)`` so augmentation is reproducible too.
        workers, use_multiprocessing, max_queue_size: as for ``keras.utils.PyDataset``.
    """

    def __init__(self, index: SplitIndex, *, rows: np.ndarray | None = None,
                 batch_size: int = 128, shuffle: str = "none", seed: int = 0,
                 block_rows: int = 0, window_blocks: int = 16, drop_remainder: bool = False,
                 repeat: bool | None = None, start_epoch: int = 0,
                 labels: str | None = "sparse", num_classes: int | None = None,
                 normalization: Normalization = Normalization(), augment: Augment | None = None,
                 workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10) -> None:
        super().__init__(workers=workers, use_multiprocessing=use_multiprocessing,
                         max_queue_size=max_queue_size)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size={batch_size!r}: expected a positive integer")
        if labels not in ("sparse", "onehot", None):
            raise ValueError(f"labels={labels!r}: expected 'sparse', 'onehot' or None")
        if labels is not None and not index.labelled:
            raise ValueError(f"the {index.split} split has no labels: pass labels=None to get "
                             "x alone (for predict)")
        if labels == "onehot" and not num_classes:
            raise ValueError("labels='onehot' needs num_classes (len(shard_set.classes))")
        if isinstance(start_epoch, bool) or not isinstance(start_epoch, int) or start_epoch < 0:
            raise ValueError(f"start_epoch={start_epoch!r}: expected an integer >= 0")
        self.index = index
        self.num_samples_total = len(index)
        self.rows = None if rows is None else self._check_rows(np.asarray(rows))
        self.batch_size = batch_size
        sample_bytes = int(np.prod(index.sample_shape))
        self.shuffle = ShuffleOptions(
            mode=shuffle, seed=seed, window_blocks=window_blocks,
            block_rows=block_rows or default_block_rows(sample_bytes, batch_size))
        self.drop_remainder = drop_remainder
        self.repeat = (shuffle != "none") if repeat is None else bool(repeat)
        self.start_epoch = start_epoch
        self.label_mode = labels
        self.num_classes = num_classes
        self.augment = augment
        self.gather = ShardGather(index, normalization)
        self.window_len = self.shuffle.block_rows * self.shuffle.window_blocks
        self.windows = WindowCache(self.gather, self.rows, self.window_len,
                                   with_labels=labels is not None) if shuffle == "block" else None
        if self.steps_per_epoch == 0:
            raise ValueError(
                f"{self.num_samples} samples make no batch of {batch_size}"
                + (" with drop_remainder=True" if drop_remainder else "")
                + ": lower batch_size or use more data")
        self._orders: dict[int, np.ndarray] = {}
        self._orders_lock = threading.Lock()

    def _check_rows(self, rows: np.ndarray) -> np.ndarray:
        n = self.num_samples_total
        if rows.ndim != 1 or (len(rows) and (rows.min() < 0 or rows.max() >= n)):
            raise ValueError(f"rows must be sample indices in [0, {n}), received shape "
                             f"{rows.shape}")
        if len(np.unique(rows)) != len(rows):
            raise ValueError("rows contains an index twice: each sample may appear once")
        return np.sort(rows).astype(index_dtype(n))

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_orders"] = {}  # rebuilt on demand in each process
        del state["_orders_lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._orders_lock = threading.Lock()

    # -- sizes ------------------------------------------------------------------------------
    @property
    def num_samples(self) -> int:
        return self.num_samples_total if self.rows is None else len(self.rows)

    @property
    def steps_per_epoch(self) -> int:
        n, b = self.num_samples, self.batch_size
        return n // b if self.drop_remainder else -(-n // b)

    def __len__(self) -> int:
        return self.steps_per_epoch

    @property
    def num_batches(self) -> int | None:
        return None if self.repeat else self.steps_per_epoch

    # -- order ------------------------------------------------------------------------------
    def _order(self, epoch: int):
        """This epoch's order: final positions, or ``(blocks, mix)`` in block mode."""
        order = self._orders.get(epoch)
        if order is None:
            if self.windows is not None:
                order = block_order(self.num_samples, epoch, self.shuffle)
            else:
                order = epoch_order(self.num_samples, epoch, self.shuffle)
            # Worker threads share this cache: evicting unlocked, two of them could pop the
            # same epoch (KeyError).
            with self._orders_lock:
                while len(self._orders) >= 2:  # the current epoch and the one prefetched
                    self._orders.pop(min(self._orders))
                self._orders[epoch] = order
        return order

    def locate(self, index: int) -> tuple[int, int]:
        """``(epoch, batch within epoch)`` of global batch ``index``."""
        if index < 0:
            raise IndexError(f"batch index {index} < 0")
        steps = self.steps_per_epoch
        if not self.repeat and index >= steps:
            raise IndexError(f"batch index {index} out of range for {steps} batches")
        return self.start_epoch + index // steps, index % steps

    def batch_samples(self, index: int) -> np.ndarray:
        """Sample indices of global batch ``index``, in the order the batch holds them
        (ascending, except in block mode where they keep the window's mixed order)."""
        epoch, batch = self.locate(index)
        lo, hi = batch * self.batch_size, min((batch + 1) * self.batch_size, self.num_samples)
        order = self._order(epoch)
        if self.windows is not None:
            blocks, mix = order
            positions = compose_block_order(blocks, mix, self.window_len, lo, hi)
        else:
            positions = order[lo:hi]
        samples = positions if self.rows is None else self.rows[positions]
        return samples if self.windows is not None else np.sort(samples)

    def epoch_samples(self, epoch: int) -> np.ndarray:
        """Every sample index epoch ``epoch`` visits, in batch order."""
        first = (epoch - self.start_epoch) * self.steps_per_epoch
        return np.concatenate([self.batch_samples(first + i)
                               for i in range(self.steps_per_epoch)])

    # -- batches ----------------------------------------------------------------------------
    def __getitem__(self, index: int):
        epoch, batch = self.locate(int(index))
        if self.windows is not None:
            lo = batch * self.batch_size
            hi = min(lo + self.batch_size, self.num_samples)
            blocks, mix = self._order(epoch)
            pixels, y = self.windows.read(epoch, blocks, mix, lo, hi)
        else:
            samples = self.batch_samples(int(index))
            pixels = self.gather.pixels(samples, flat=True)
            y = self.gather.labels(samples) if self.label_mode is not None else None
        x = self.gather.normalize(pixels)
        if self.augment is not None:
            rng = np.random.default_rng(np.random.SeedSequence(
                [self.shuffle.seed, epoch, batch, 0xA06]))
            x = self.augment(x, rng)
        if self.label_mode is None:
            return x
        if self.label_mode == "onehot":
            y = np.eye(self.num_classes, dtype=np.float32)[y]
        return x, y
