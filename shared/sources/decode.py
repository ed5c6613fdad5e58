"""Decoding with Pillow: any image (or a CSV pixel row) to uint8 ``(H, W, C)``.

Files are opened through ``shared.sources.photo``: a pixel limit against decompression
bombs, JPEG draft decoding for large photos, and the EXIF orientation applied first. Every
mode Pillow opens is brought to 8 bits and to the configured channel count: 16-bit
grayscale is scaled (65535 -> 255), palette images go through their palette, transparency
is composited onto black, CMYK and YCbCr become RGB. Then the image is resized to
``(H, W)``: ``stretch`` ignores the aspect ratio, ``pad`` keeps it and pads with black.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from shared.sources.images import AmbiguousImageError
from shared.sources.layout import SourceLayout
from shared.sources.photo import DEFAULT_MAX_PIXELS, ImageTooLargeError, open_upright
from shared.sources.stores import ImageFile

__all__ = ["DecodeSettings", "decode_image", "image_to_array",
           "pixels_to_arrays", "describe_failure"]

RESAMPLE = Image.Resampling.BILINEAR
_WIDE_GRAY = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_WITH_ALPHA = ("RGBA", "LA", "PA", "RGBa", "La")


@dataclass(frozen=True)
class DecodeSettings:
    """Target of decoding: ``size`` (height, width), ``channels`` 1 or 3, ``resize`` mode;
    ``max_pixels``: the largest file accepted (0 = no limit)."""

    size: tuple[int, int]
    channels: int
    resize: str = "stretch"
    max_pixels: int = DEFAULT_MAX_PIXELS

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", tuple(self.size))
        if len(self.size) != 2 or min(self.size) < 1:
            raise ValueError(f"DecodeSettings.size {self.size}: expected (height, width) >= 1")
        if self.channels not in (1, 3):
            raise ValueError(f"DecodeSettings.channels {self.channels}: expected 1 or 3")
        if self.resize not in ("stretch", "pad"):
            raise ValueError(f"DecodeSettings.resize {self.resize!r}: expected stretch or pad")
        if isinstance(self.max_pixels, bool) or not isinstance(self.max_pixels, int) \
                or self.max_pixels < 0:
            raise ValueError(f"DecodeSettings.max_pixels {self.max_pixels!r}: expected a "
                             "pixel count >= 0 (0 = no limit)")

    @property
    def shape(self) -> tuple[int, int, int]:
        return (*self.size, self.channels)

    @property
    def mode(self) -> str:
        return "L" if self.channels == 1 else "RGB"

    @classmethod
    def from_layout(cls, layout: SourceLayout,
                    max_pixels: int = DEFAULT_MAX_PIXELS) -> "DecodeSettings":
        return cls(size=layout.image_size, channels=layout.channels, resize=layout.resize,
                   max_pixels=max_pixels)


def decode_image(path: str | os.PathLike | ImageFile, settings: DecodeSettings) -> np.ndarray:
    """Open (upright), fully load and convert one image (a file, or a member of a zip
    archive, as ``ImageLocator.find`` gives it); an error if it cannot."""
    with open_upright(path, max_pixels=settings.max_pixels, size=settings.size) as img:
        return image_to_array(img, settings)


def image_to_array(img: Image.Image, settings: DecodeSettings) -> np.ndarray:
    """A loaded Pillow image as uint8 ``settings.shape``."""
    img = _to_target_mode(img, settings.mode)
    img = _resize(img, settings)
    return np.asarray(img, dtype=np.uint8).reshape(settings.shape)


def _to_target_mode(img: Image.Image, mode: str) -> Image.Image:
    if img.mode in _WIDE_GRAY:
        wide = np.clip(np.asarray(img), 0, 65535).astype(np.uint32)
        img = Image.fromarray(((wide * 255 + 32767) // 65535).astype(np.uint8), "L")
    elif img.mode == "F":
        img = Image.fromarray(np.clip(np.asarray(img), 0, 255).round().astype(np.uint8), "L")
    elif img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in _WITH_ALPHA:
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size)  # black
        flat.paste(rgba.convert("RGB"), (0, 0), rgba.getchannel("A"))
        img = flat
    return img if img.mode == mode else img.convert(mode)


def _resize(img: Image.Image, settings: DecodeSettings) -> Image.Image:
    height, width = settings.size
    if img.size == (width, height):
        return img
    if settings.resize == "stretch":
        return img.resize((width, height), RESAMPLE)
    scale = min(width / img.width, height / img.height)
    inner = (max(1, min(width, round(img.width * scale))),
             max(1, min(height, round(img.height * scale))))
    canvas = Image.new(img.mode, (width, height))
    canvas.paste(img.resize(inner, RESAMPLE), ((width - inner[0]) // 2, (height - inner[1]) // 2))
    return canvas


def pixels_to_arrays(values: np.ndarray, source_shape: tuple[int, int, int],
                     settings: DecodeSettings) -> tuple[np.ndarray, np.ndarray]:
    """CSV pixel rows ``(n, h*w*c)`` to ``(uint8 samples of the good rows, good-row mask)``.

    A row is bad when a value is missing (NaN), fractional or outside 0..255; ``values`` are
    numbers (``iter_pixel_rows`` turns text that is not a number into NaN).
    """
    values = np.asarray(values)
    if values.dtype.kind not in "biuf":
        raise ValueError(f"pixel rows of dtype {values.dtype}: expected numbers, with NaN for "
                         "a value that is not one (as iter_pixel_rows reads them)")
    if values.ndim != 2 or values.shape[1] != int(np.prod(source_shape)):
        raise ValueError(f"pixel rows of shape {values.shape}: expected (rows, "
                         f"{int(np.prod(source_shape))}) for images of {source_shape}")
    ok = ((values >= 0) & (values <= 255)).all(axis=1)  # NaN compares False
    if values.dtype.kind == "f":
        ok &= (values == np.round(values)).all(axis=1)
    good = values[ok].astype(np.uint8).reshape(-1, *source_shape)
    if tuple(source_shape) == settings.shape:
        return good, ok
    out = np.empty((len(good), *settings.shape), np.uint8)
    for i, sample in enumerate(good):
        img = Image.fromarray(sample[..., 0] if source_shape[2] == 1 else sample,
                              "L" if source_shape[2] == 1 else "RGB")
        out[i] = image_to_array(img, settings)
    return out, ok


def describe_failure(exc: BaseException) -> str:
    """A short reason for the manifest's rejects: missing, ambiguous, truncated, unreadable."""
    if isinstance(exc, FileNotFoundError):
        return f"missing image: {exc.strerror or exc}" if exc.filename is None else \
            f"missing image: {os.path.basename(str(exc.filename))} not found"
    text = str(exc)
    if isinstance(exc, AmbiguousImageError):
        return f"ambiguous image name: {text}"
    if isinstance(exc, (ImageTooLargeError, Image.DecompressionBombError,
                        Image.DecompressionBombWarning)):
        return f"image too large: {text}"
    if "truncated" in text.lower():
        return f"truncated image: {text}"
    if isinstance(exc, UnidentifiedImageError):
        return "unreadable image: not a format Pillow recognises"
    return f"unreadable image: {type(exc).__name__}: {text}"
