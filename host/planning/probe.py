"""The image size and channel count of a competition, from a sample of its train images.

One image can be the odd one out (a 40x60 RGB photo among 28x28 grayscale scans): deciding
from the first image alone would resize every image to the odd size. The planner reads the
header of up to ``SAMPLE`` images spread over the train rows and takes the most common size
and the most common channel count; when they vary, ``ImageProbe.notes`` says so for the plan.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
from PIL import Image

from shared.sources.images import ImageLocator
from shared.sources.photo import upright_size
from shared.sources.stores import open_image_file

__all__ = ["ImageProbe", "probe_images", "SAMPLE"]

SAMPLE = 32
_GRAY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"}


@dataclass(frozen=True)
class ImageProbe:
    """What the sampled images hold: how many of each size (height, width) and channel count."""

    sizes: Counter
    channels: Counter
    unreadable: tuple[str, ...] = ()

    @property
    def size(self) -> tuple[int, int]:
        return _most_common(self.sizes)

    @property
    def channel_count(self) -> int:
        return _most_common(self.channels)

    def notes(self, *, size: bool = True, channels: bool = True) -> list[str]:
        """A line per property that varies among the sampled images (of those asked: one
        ``[source]`` sets is not decided by the sample)."""
        sampled = sum(self.sizes.values())
        notes = []
        if size and len(self.sizes) > 1:
            seen = ", ".join(f"{h}x{w} ({n})" for (h, w), n in self.sizes.most_common(4))
            height, width = self.size
            notes.append(f"image sizes vary among {sampled} sampled train images: {seen}; all "
                         f"are resized to the most common, {height}x{width} (set [source] "
                         "image_size to choose another)")
        if channels and len(self.channels) > 1:
            kinds = {1: "grayscale", 3: "colour"}
            seen = ", ".join(f"{kinds[c]} ({n})" for c, n in self.channels.most_common())
            notes.append(f"image modes vary among {sampled} sampled train images: {seen}; all "
                         f"are stored as the most common, {kinds[self.channel_count]} "
                         f"(channels = {self.channel_count}; set [source] channels to choose)")
        return notes


def _most_common(counts: Counter):
    """The most frequent key; a tie goes to the first one seen (the earliest row)."""
    return counts.most_common(1)[0][0]


def _spread(names: np.ndarray, k: int) -> list[str]:
    picks = np.unique(np.linspace(0, len(names) - 1, min(k, len(names))).astype(int))
    return [str(names[i]) for i in picks]


def channels_of(img: Image.Image) -> int:
    """1 for grayscale modes (and palettes of grays), else 3."""
    if img.mode in _GRAY_MODES:
        return 1
    if img.mode in ("P", "PA"):
        rgb = np.asarray(img.convert("RGB"))
        return 1 if (rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all() \
            else 3
    return 3


def probe_images(locator: ImageLocator, names: np.ndarray, k: int = SAMPLE) -> ImageProbe:
    """Size and channels of up to ``k`` images spread over ``names`` (first row included);
    ValueError when none of them can be read."""
    sizes: Counter = Counter()
    channels: Counter = Counter()
    errors = []
    for name in _spread(names, k):
        try:
            with Image.open(open_image_file(locator.find(name))) as img:
                sizes[upright_size(img)] += 1  # as its EXIF orientation turns it
                channels[channels_of(img)] += 1
        except Exception as exc:  # noqa: BLE001 - a damaged image: the others decide
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
    if not sizes:
        raise ValueError("cannot read any of the sampled train images to learn the image size: "
                         f"{'; '.join(errors[:5])}. Set [source] image_size and channels")
    return ImageProbe(sizes=sizes, channels=channels, unreadable=tuple(errors))
