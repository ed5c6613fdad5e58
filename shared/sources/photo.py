"""Opening an image file the way photo competitions need it.

- **Pixel limit** (decompression bombs): a file whose header declares more than
  ``max_pixels`` pixels is refused before its pixels are decoded, with
  :class:`ImageTooLargeError` naming its size; the preprocessing kernel rejects that row by
  id and goes on. Pillow's own guard (a warning above ``Image.MAX_IMAGE_PIXELS``, an error
  above twice that) is set to the same limit while a file is opened, its warning raised as an
  error, so no path inside Pillow decodes past it either. 0 means no limit.
- **JPEG draft**: a JPEG at least twice the target size in both directions is decoded by
  libjpeg at 1/2, 1/4 or 1/8 scale (never below the target), which saves most of the work
  and memory of large photos; the resize then does the rest.
- **EXIF orientation**: a photo stored sideways with an EXIF ``Orientation`` tag (2 to 8)
  is turned upright (``ImageOps.exif_transpose``) before anything else looks at it. An EXIF
  block that cannot be read counts as no orientation.

Pillow's limit is a process-wide setting: open files through here from one thread per
process (the preprocessing kernel decodes in worker processes).
"""

from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from typing import Iterator

from PIL import ExifTags, Image, ImageOps

from shared.config import SourceConfig
from shared.sources.stores import ImageFile, open_image_file

__all__ = ["DEFAULT_MAX_PIXELS", "ImageTooLargeError", "open_upright", "orientation",
           "upright_size"]

DEFAULT_MAX_PIXELS = SourceConfig.max_image_pixels  # 250 MP: above any phone camera's 200
_SWAPS_AXES = (5, 6, 7, 8)  # orientations that turn the image by 90 or 270 degrees


class ImageTooLargeError(ValueError):
    """The file declares more pixels than the limit (a decompression-bomb guard)."""


def orientation(img: Image.Image) -> int:
    """The EXIF orientation (1 to 8); 1 when there is none or it cannot be read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Corrupt EXIF data", per file
            value = img.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # noqa: BLE001 - a damaged EXIF block must not lose the image
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def upright_size(img: Image.Image) -> tuple[int, int]:
    """``(height, width)`` of the image once its EXIF orientation is applied."""
    width, height = img.size
    return (width, height) if orientation(img) in _SWAPS_AXES else (height, width)


def _too_large(img: Image.Image, max_pixels: int) -> ImageTooLargeError:
    pixels = img.width * img.height
    return ImageTooLargeError(
        f"{img.width}x{img.height} = {pixels:,} pixels, over the limit of {max_pixels:,} "
        "([source] max_image_pixels, a guard against decompression bombs): raise it if such "
        "files are genuine")


@contextmanager
def _pillow_limit(max_pixels: int | None) -> Iterator[None]:
    """Pillow's guard at ``max_pixels`` (None: off), its warning raised as an error."""
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = max_pixels or None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def _draft(img: Image.Image, size: tuple[int, int], turned: bool) -> None:
    """Let libjpeg decode a large JPEG at a reduced scale, never below ``size`` (h, w)."""
    height, width = size
    wanted = (height, width) if turned else (width, height)  # in stored orientation
    if img.format == "JPEG" and img.width >= 2 * wanted[0] and img.height >= 2 * wanted[1]:
        img.draft(img.mode, wanted)


@contextmanager
def open_upright(path: str | os.PathLike | ImageFile, *, max_pixels: int = DEFAULT_MAX_PIXELS,
                 size: tuple[int, int] | None = None) -> Iterator[Image.Image]:
    """The loaded, upright image in ``path`` (a file, or a member of a zip archive; an
    animated image: its first frame); ``size`` (h, w): the size it will be resized to (allows
    draft decoding). Raises :class:`ImageTooLargeError` or Pillow's error."""
    with _pillow_limit(None), warnings.catch_warnings():  # the check below names the size
        warnings.simplefilter("ignore", UserWarning)  # "Corrupt EXIF data": read as upright
        img = Image.open(open_image_file(path))
    with img, _pillow_limit(max_pixels):
        if max_pixels and img.width * img.height > max_pixels:
            raise _too_large(img, max_pixels)
        turn = orientation(img)
        if size is not None:
            _draft(img, size, turn in _SWAPS_AXES)
        img.load()
        yield img if turn == 1 else ImageOps.exif_transpose(img)
