"""On-the-fly augmentation for ``ShardedSequence(augment=...)``: flips and shifts in numpy.

The sequence calls ``augment(x, rng)`` on each batch's uint8 pixels ``(n, H, W, C)``, before
any normalisation (flips and edge-repeating shifts move pixels and keep their values, so it
commutes with the per-channel normalisation and works on any dtype), with an ``rng`` seeded
by ``(seed, epoch, batch)``, so an augmented epoch is as reproducible as its order.
``make_augment`` returns a ``functools.partial`` of a module-level function: it pickles into
worker processes.
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from shared.choices import AUGMENT_MODES

__all__ = ["AUGMENT_MODES", "make_augment", "flip_shift", "max_shift_for"]

_SHIFT_FRACTION = 0.08  # of the image side: 2 pixels on 28x28


def max_shift_for(height: int, width: int) -> int:
    """The largest shift in pixels: 8% of the shorter side, at least one pixel."""
    return max(1, round(_SHIFT_FRACTION * min(height, width)))


def flip_shift(x: np.ndarray, rng: np.random.Generator, *, flip: bool,
               max_shift: int) -> np.ndarray:
    """Mirror half the samples left-right (when ``flip``) and move each sample by up to
    ``max_shift`` pixels in each direction, repeating the edge pixels into the gap."""
    n, height, width = x.shape[:3]
    if flip:
        mirrored = rng.random(n) < 0.5
        x = x.copy()
        x[mirrored] = x[mirrored, :, ::-1]
    if max_shift > 0:
        s = max_shift
        padded = np.pad(x, ((0, 0), (s, s), (s, s), (0, 0)), mode="edge")
        dy = rng.integers(0, 2 * s + 1, n)
        dx = rng.integers(0, 2 * s + 1, n)
        rows = dy[:, None] + np.arange(height)
        cols = dx[:, None] + np.arange(width)
        x = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    return x


def make_augment(mode: str, sample_shape: tuple[int, int, int]
                 ) -> Callable[[np.ndarray, np.random.Generator], np.ndarray] | None:
    """The picklable batch function for a resolved ``mode``, or None for ``none``."""
    if mode == "none":
        return None
    if mode not in AUGMENT_MODES:
        raise ValueError(f"augment={mode!r}: expected one of {', '.join(AUGMENT_MODES)}")
    shift = max_shift_for(sample_shape[0], sample_shape[1]) if "shift" in mode else 0
    return functools.partial(flip_shift, flip="flip" in mode, max_shift=shift)
