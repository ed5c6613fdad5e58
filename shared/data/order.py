"""Sample orders: which sample goes where in an epoch, and the train/validation hold-out.

Every order is a pure function of ``(seed, epoch)`` and the sizes, computed with numpy's
``SeedSequence``; any process that asks gets the same answer, whatever the worker count.
"""

from __future__ import annotations

import numpy as np

from shared.data.options import ShuffleOptions, default_block_rows

__all__ = ["ShuffleOptions", "epoch_order", "block_order", "compose_block_order", "holdout",
           "kfold", "default_block_rows", "index_dtype"]

_HOLDOUT_STREAM = 0x5EED


def index_dtype(n: int) -> np.dtype:
    """int32 indices while they fit: half the memory of int64 on large data sets."""
    return np.dtype(np.int32 if n < 2**31 else np.int64)


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *stream]))


def block_order(n: int, epoch: int, options: ShuffleOptions) -> tuple[np.ndarray, np.ndarray]:
    """Block mode in two parts: ``(blocks, mix)``.

    ``blocks`` is every position, block by block in permuted block order; ``mix`` holds,
    for each final position ``i`` in window ``w = i // window``, the index within that
    window's slice of ``blocks``: final order ``i -> blocks[w * window + mix[i]]``.
    """
    if not options.block_rows:
        raise ValueError("block_rows = 0: expected the rows of a block; call "
                         "options.resolve(sample_bytes, batch_size) first")
    dtype = index_dtype(n)
    rng = _rng(options.seed, epoch)
    b = options.block_rows
    num_blocks = -(-n // b)
    starts = rng.permutation(num_blocks).astype(np.int64) * b
    lengths = np.minimum(starts + b, n) - starts
    # Concatenate the permuted blocks without a Python loop over blocks.
    ends = np.cumsum(lengths)
    blocks = (np.arange(n) + np.repeat(starts - (ends - lengths), lengths)).astype(dtype)
    window = b * options.window_blocks
    full = n // window
    mix = np.empty(n, dtype=dtype)
    if full:
        mix[:full * window] = rng.permuted(
            np.broadcast_to(np.arange(window, dtype=dtype), (full, window)), axis=1).ravel()
    mix[full * window:] = rng.permutation(n - full * window).astype(dtype)
    return blocks, mix


def compose_block_order(blocks: np.ndarray, mix: np.ndarray, window: int, lo: int = 0,
                        hi: int | None = None) -> np.ndarray:
    """Final positions ``[lo, hi)`` from ``block_order``'s two parts."""
    hi = len(mix) if hi is None else hi
    base = (np.arange(lo, hi, dtype=np.int64) // window) * window
    return blocks[base + mix[lo:hi]]


def epoch_order(n: int, epoch: int, options: ShuffleOptions) -> np.ndarray:
    """Positions ``0..n-1`` in the order epoch ``epoch`` visits them."""
    if options.mode == "none" or n == 0:
        return np.arange(n, dtype=index_dtype(n))
    if options.mode == "full":
        return _rng(options.seed, epoch).permutation(n).astype(index_dtype(n), copy=False)
    blocks, mix = block_order(n, epoch, options)
    return compose_block_order(blocks, mix, options.block_rows * options.window_blocks)


def holdout(n: int, fraction: float, seed: int,
            labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ``(train, validation)`` sample indices; stratified by class when ``labels``.

    Deterministic in ``(n, fraction, seed, labels)``; the two parts are disjoint and
    together hold every index once.
    """
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation fraction {fraction!r}: expected a value in [0, 1)")
    dtype = index_dtype(n)
    keys = _rng(seed, _HOLDOUT_STREAM).random(n)
    if labels is None:
        k = int(round(fraction * n))
        chosen = np.argsort(keys, kind="stable")[:k]
    else:
        labels = np.asarray(labels)
        if labels.shape != (n,):
            raise ValueError(f"labels of shape {labels.shape} for {n} samples")
        grouped = np.lexsort((keys, labels))
        classes, counts = np.unique(labels[grouped], return_counts=True)
        take = np.rint(counts * fraction).astype(np.int64)
        starts = np.cumsum(counts) - counts
        chosen = np.concatenate([grouped[s:s + t] for s, t in zip(starts, take)]) \
            if len(counts) else np.zeros(0, np.int64)
    mask = np.zeros(n, dtype=bool)
    mask[chosen] = True
    return np.flatnonzero(~mask).astype(dtype), np.flatnonzero(mask).astype(dtype)


_FOLD_STREAM = 0xF01D


def kfold(n: int, folds: int, seed: int, labels: np.ndarray | None = None) -> np.ndarray:
    """The fold (``0..folds-1``) of each of ``n`` samples; stratified by class when
    ``labels``: each class is dealt out over the folds in turn, from a random order.

    Deterministic in ``(n, folds, seed, labels)``; every sample is in exactly one fold, and
    the folds' sizes (and, stratified, each class's share of a fold) differ by at most one.
    """
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ValueError(f"folds = {folds!r}: expected an integer >= 2")
    if n < folds:
        raise ValueError(f"{n} samples cannot fill {folds} folds: lower [train] folds")
    keys = _rng(seed, _FOLD_STREAM).random(n)
    if labels is None:
        order = np.argsort(keys, kind="stable")
    else:
        labels = np.asarray(labels)
        if labels.shape != (n,):
            raise ValueError(f"labels of shape {labels.shape} for {n} samples")
        order = np.lexsort((keys, labels))  # class by class, randomly within each
    assignment = np.empty(n, np.int16 if folds < 2**15 else np.int32)
    # consecutive positions go to consecutive folds, so each class spreads evenly
    assignment[order] = np.arange(n) % folds
    return assignment
