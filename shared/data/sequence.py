"""ShardedSequence: a ``keras.utils.PyDataset`` over every shard of a split.

Train with::

    train = ShardedSequence(split, rows=train_rows, batch_size=128, drop_remainder=True,
                            shuffle=ShuffleOptions(mode="block", seed=42))
    model.fit(train, epochs=15, steps_per_epoch=train.steps_per_epoch, shuffle=False,
              validation_data=ShardedSequence(split, rows=val_rows, batch_size=512))

Always pass ``shuffle=False`` to ``fit``: otherwise Keras reshuffles the batch order itself,
unseeded, which breaks both read locality and reproducibility.

A shuffled sequence repeats (``num_batches`` is ``None``) and batch ``i`` belongs to epoch
``start_epoch + i // steps_per_epoch``: every batch is a pure function of
``(seed, epoch, batch)``, identical in any worker thread or process. An epoch counter kept in
``on_epoch_end`` would not be: Keras 3 calls ``on_epoch_end`` once before the first epoch
(when ``fit`` resets its iterator), worker processes only see a changed counter when their
pool is re-created, and the next epoch's iterator is created before ``on_epoch_end`` runs.
Pass ``steps_per_epoch`` to ``fit``; to resume at epoch ``k``, build the sequence with
``start_epoch=k`` and call ``fit(..., initial_epoch=k)``; a later ``fit`` of the same sequence
(which counts batches from 0 again) from epoch ``k``: ``restart_at(k)`` first.

``output="uint8"`` hands over the raw pixels, a quarter of float32's bytes, for a model that
normalises on the device (``shared.training.device_input``); ``"float32"`` normalises here.
In block mode the next window is read by a background thread while batches are served
from the current one (``WindowCache.prefetch``, or for large samples ``DirectReads.prefetch``;
``WorkerOptions(read_ahead=False)`` turns it off).
"""

from __future__ import annotations

import threading
import warnings
from typing import Any, Callable

import keras
import numpy as np

from shared.checks import check_choice, check_int
from shared.data.direct_reads import DIRECT_MIN_BYTES, DirectReads
from shared.data.gather import ShardGather
from shared.data.normalization import Normalization
from shared.data.options import ShuffleOptions, WorkerOptions
from shared.data.order import block_order, compose_block_order, epoch_order, index_dtype
from shared.data.window_cache import WindowCache
from shared.store.reader import SplitIndex

__all__ = ["ShardedSequence", "Normalization", "ShuffleOptions", "WorkerOptions"]

Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]
_SHUFFLE_KEYWORDS = ("seed", "block_rows", "window_blocks")
_WORKER_KEYWORDS = ("use_multiprocessing", "max_queue_size")
OUTPUTS = ("float32", "uint8")


class ShardedSequence(keras.utils.PyDataset):
    """Batches of ``(x, y)`` (or ``x`` alone) read from a split's shards.

    Args:
        split: the split, from ``ShardSet.discover(root).split("train")``.
        rows: sample indices to use (e.g. one side of ``holdout``); default all samples.
        batch_size: samples per batch; ``drop_remainder`` drops each epoch's last partial
            batch (fixed batch shapes).
        shuffle: the epoch order (``ShuffleOptions``; default: row order).
        normalization: how uint8 pixels become float32 (``Normalization``), with
            ``output="float32"``.
        output: ``"float32"`` (normalised here) or ``"uint8"`` (raw pixels, for a model that
            starts with its normalisation layer).
        workers: threads or processes for Keras (``WorkerOptions``).
        labels: ``"sparse"`` (int32 class indices), ``"onehot"`` (float32, needs
            ``num_classes``), ``"float"`` (the stored targets as float32: multi-hot rows,
            values, 0/1 classes) or ``None`` (x only).
        augment: ``f(x_batch, rng) -> x_batch``, a picklable function applied to the uint8
            pixels ``(n, H, W, C)`` before any normalisation; ``rng`` is seeded by
            ``(seed, epoch, batch)`` so augmentation is reproducible too.
        repeat: serve epoch after epoch (``None``: when shuffled); ``start_epoch`` is the
            epoch of batch 0 (to resume training). See the module docstring.

    The keywords of earlier releases (``shuffle="block"``, ``seed``, ``block_rows``,
    ``window_blocks``, ``workers=4``, ``use_multiprocessing``, ``max_queue_size``) still work
    for this release, with a ``DeprecationWarning``.

    Block mode reads through a ``WindowCache`` (window buffers) for samples under
    ``direct_min_bytes`` and through ``DirectReads`` (one copy per row) from there on; both
    serve the same batches.
    """

    direct_min_bytes = DIRECT_MIN_BYTES

    def __init__(self, split: SplitIndex, *, rows: np.ndarray | None = None,
                 batch_size: int = 128, drop_remainder: bool = False,
                 shuffle: ShuffleOptions | str = ShuffleOptions(),
                 normalization: Normalization = Normalization(),
                 workers: WorkerOptions | int = WorkerOptions(),
                 labels: str | None = "sparse", num_classes: int | None = None,
                 augment: Augment | None = None, repeat: bool | None = None,
                 start_epoch: int = 0, output: str = "float32", **legacy: Any) -> None:
        shuffle, workers = _legacy_options(shuffle, workers, legacy)
        super().__init__(workers=workers.workers, use_multiprocessing=workers.use_multiprocessing,
                         max_queue_size=workers.max_queue_size)
        check_int("batch_size", batch_size)
        check_choice("labels", labels, ("sparse", "onehot", "float", None))  # type: ignore
        check_int("start_epoch", start_epoch, minimum=0)
        check_choice("output", output, OUTPUTS)
        if labels is not None and not split.labelled:
            raise ValueError(f"the {split.split} split has no labels: pass labels=None to get "
                             "x alone (for predict)")
        if labels == "onehot" and not num_classes:
            raise ValueError("labels='onehot' needs num_classes (len(shard_set.classes))")
        self.split = split
        self.num_samples_total = len(split)
        self.rows = None if rows is None else self._check_rows(np.asarray(rows))
        self.batch_size = batch_size
        self.shuffle = shuffle.resolve(int(np.prod(split.sample_shape)), batch_size)
        self.worker_options = workers
        self.drop_remainder = drop_remainder
        self.repeat = (shuffle.mode != "none") if repeat is None else bool(repeat)
        self.start_epoch = start_epoch
        self.label_mode = labels
        self.num_classes = num_classes
        self.augment = augment
        self.output = output
        self.gather = ShardGather(split, normalization,
                                  np.float32 if labels == "float" else np.int32)
        self._shape = tuple(split.sample_shape)
        self.window_len = self.shuffle.block_rows * self.shuffle.window_blocks
        reader = DirectReads if self.gather.features >= self.direct_min_bytes else WindowCache
        self.windows = reader(self.gather, self.rows, self.window_len,
                              with_labels=labels is not None) \
            if self.shuffle.mode == "block" else None
        if self.steps_per_epoch == 0:
            raise ValueError(
                f"{self.num_samples} samples make no batch of {batch_size}"
                + (" with drop_remainder=True" if drop_remainder else "")
                + ": lower batch_size or use more data")
        self._orders: dict[int, Any] = {}
        self._orders_lock = threading.Lock()
        # the last window any batch of an epoch touches (drop_remainder may leave rows out)
        served = min(self.steps_per_epoch * batch_size, self.num_samples)
        self._last_window = (served - 1) // self.window_len if self.window_len and served else 0
        self._ahead: tuple[int, int] | None = None

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
        state["_ahead"] = None  # each process reads ahead into its own cache
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

    def locate(self, step: int) -> tuple[int, int]:
        """``(epoch, batch within epoch)`` of global batch number ``step``."""
        if step < 0:
            raise IndexError(f"batch index {step} < 0")
        steps = self.steps_per_epoch
        if not self.repeat and step >= steps:
            raise IndexError(f"batch index {step} out of range for {steps} batches")
        return self.start_epoch + step // steps, step % steps

    def batch_samples(self, step: int) -> np.ndarray:
        """Sample indices of global batch ``step``, in the order the batch holds them
        (ascending, except in block mode where they keep the window's mixed order)."""
        epoch, batch = self.locate(step)
        lo, hi = batch * self.batch_size, min((batch + 1) * self.batch_size, self.num_samples)
        order = self._order(epoch)
        if self.windows is not None:
            blocks, mix = order
            positions = compose_block_order(blocks, mix, self.window_len, lo, hi)
        else:
            positions = order[lo:hi]
        samples = positions if self.rows is None else self.rows[positions]
        return samples if self.windows is not None else np.sort(samples)

    def restart_at(self, epoch: int) -> None:
        """Serve epoch ``epoch`` from batch 0 on: before another ``fit(...,
        initial_epoch=epoch)`` of this sequence (the fine-tuning's second phase)."""
        self.start_epoch = check_int("epoch", epoch, minimum=0)

    def epoch_samples(self, epoch: int) -> np.ndarray:
        """Every sample index epoch ``epoch`` visits, in batch order."""
        first = (epoch - self.start_epoch) * self.steps_per_epoch
        return np.concatenate([self.batch_samples(first + i)
                               for i in range(self.steps_per_epoch)])

    # -- batches ----------------------------------------------------------------------------
    def _read_ahead(self, epoch: int, window: int, blocks: np.ndarray) -> None:
        """Have the window after ``window`` read in the background (the next epoch's first
        one after the last), unless that was already asked for."""
        if window < self._last_window:
            key = (epoch, window + 1)
        elif self.repeat:
            key = (epoch + 1, 0)
        else:
            return
        if key == self._ahead:  # the common case: asked for by an earlier batch
            return
        self._ahead = key
        w_len = self.window_len

        def positions() -> np.ndarray:
            if key[1]:
                return blocks[key[1] * w_len:(key[1] + 1) * w_len]
            return self._order(key[0])[0][:w_len]

        self.windows.prefetch(key, positions)

    def __getitem__(self, step: int):
        epoch, batch = self.locate(int(step))
        if self.windows is not None:
            lo = batch * self.batch_size
            hi = min(lo + self.batch_size, self.num_samples)
            blocks, mix = self._order(epoch)
            pixels, y = self.windows.read(epoch, blocks, mix, lo, hi)
            if self.worker_options.read_ahead:
                self._read_ahead(epoch, (hi - 1) // self.window_len, blocks)
        else:
            samples = self.batch_samples(int(step))
            pixels = self.gather.pixels(samples, flat=True)
            y = self.gather.labels(samples) if self.label_mode is not None else None
        x = pixels.reshape(len(pixels), *self._shape)
        if self.augment is not None:  # on the uint8 pixels: a quarter of the bytes to move
            rng = np.random.default_rng(np.random.SeedSequence(
                [self.shuffle.seed, epoch, batch, 0xA06]))
            x = self.augment(x, rng)
        if self.output == "float32":
            x = self.gather.normalize(x)
        if self.label_mode is None:
            return x
        if self.label_mode == "onehot":
            y = np.eye(self.num_classes, dtype=np.float32)[y]
        return x, y


def _legacy_options(shuffle: ShuffleOptions | str, workers: WorkerOptions | int,
                    legacy: dict[str, Any]) -> tuple[ShuffleOptions, WorkerOptions]:
    """Options from the keywords of earlier releases (deprecated), or as given."""
    unknown = sorted(set(legacy) - {*_SHUFFLE_KEYWORDS, *_WORKER_KEYWORDS})
    if unknown:
        raise TypeError(f"ShardedSequence() got unexpected keyword argument(s) "
                        f"{', '.join(unknown)}")
    old_shuffle = isinstance(shuffle, str) or any(k in legacy for k in _SHUFFLE_KEYWORDS)
    old_workers = isinstance(workers, int) or any(k in legacy for k in _WORKER_KEYWORDS)
    if old_shuffle or old_workers:
        warnings.warn("ShardedSequence(shuffle=<str>, seed=, block_rows=, window_blocks=, "
                      "workers=<int>, use_multiprocessing=, max_queue_size=) is deprecated: pass "
                      "shuffle=ShuffleOptions(...) and workers=WorkerOptions(...)",
                      DeprecationWarning, stacklevel=3)
    if old_shuffle:
        base = shuffle if isinstance(shuffle, ShuffleOptions) else ShuffleOptions(mode=shuffle)
        shuffle = ShuffleOptions(mode=base.mode, **{
            k: legacy.get(k, getattr(base, k)) for k in _SHUFFLE_KEYWORDS})
    if old_workers:
        base_w = workers if isinstance(workers, WorkerOptions) else WorkerOptions(workers=workers)
        workers = WorkerOptions(workers=base_w.workers, **{
            k: legacy.get(k, getattr(base_w, k)) for k in _WORKER_KEYWORDS})
    return shuffle, workers  # type: ignore[return-value]
