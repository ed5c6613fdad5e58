"""A PNG grid of the first stored samples with their labels, written next to the manifest.

It is drawn from the finished shards (not from the decoder), so it shows what the train
kernel will read: if a picture and its label disagree, the shards do too. Each label sits
right under its own image, centred; the line above the tiles names the column the labels
come from, and a two-class label reads ``column=value`` (``has_cactus=1``).
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from shared.store.atomic import write_bytes_atomic
from shared.store.manifest import Manifest

__all__ = ["PREVIEW_NAME", "write_preview", "cell_places", "tile_image"]

PREVIEW_NAME = "preview.png"
COLUMNS = 8
TILE = 96  # pixels per tile side, whatever the sample size
TEXT_HEIGHT = 14
TITLE_HEIGHT = 16  # a line above the tiles: which split, and which column the captions show


def tile_image(sample: np.ndarray) -> Image.Image:
    """One sample as its tile's picture: shrunk to fit, or enlarged by a whole factor."""
    tile = Image.fromarray(sample[..., 0] if sample.shape[2] == 1 else sample)
    inner = TILE - 4
    if max(tile.size) > inner:
        tile.thumbnail((inner, inner))
    else:  # small images: enlarge by a whole factor so pixels stay sharp
        scale = inner // max(tile.size)
        tile = tile.resize((tile.width * scale, tile.height * scale), Image.Resampling.NEAREST)
    return tile.convert("RGB")


def cell_places(index: int, size: tuple[int, int], caption_width: int
                ) -> tuple[tuple[int, int], tuple[int, int]]:
    """Where tile ``index`` of ``size`` (w, h) goes and where its caption starts: the image
    centred in its cell, the caption centred right under it."""
    x = (index % COLUMNS) * TILE
    y = TITLE_HEIGHT + (index // COLUMNS) * (TILE + TEXT_HEIGHT)
    top = y + 2 + (TILE - 4 - size[1]) // 2
    image_at = (x + (TILE - size[0]) // 2, top)
    text_at = (x + max(0, (TILE - caption_width) // 2), top + size[1] + 1)
    return image_at, text_at


def write_preview(out_dir: str | os.PathLike, manifest: Manifest, count: int = 32) -> Path | None:
    """Draw up to ``count`` samples of the first split in ``manifest``, each with its label
    under it; None if it is empty."""
    out_dir = Path(out_dir)
    samples, captions, title = _first_samples(out_dir, manifest, count)
    if not samples:
        return None
    rows = math.ceil(len(samples) / COLUMNS)
    cols = min(COLUMNS, len(samples))
    sheet = Image.new("RGB", (cols * TILE, TITLE_HEIGHT + rows * (TILE + TEXT_HEIGHT)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    draw.text((3, 2), title, fill="black", font=font)
    for i, (sample, caption) in enumerate(zip(samples, captions)):
        tile = tile_image(sample)
        text = caption[:15]
        width = int(draw.textlength(text, font=font))
        image_at, text_at = cell_places(i, tile.size, width)
        sheet.paste(tile, image_at)
        draw.text(text_at, text, fill="black", font=font)
    png = io.BytesIO()
    sheet.save(png, format="PNG")
    return write_bytes_atomic(out_dir / PREVIEW_NAME, png.getvalue())


def _first_samples(out_dir: Path, manifest: Manifest, count: int):
    split = "train" if any(s.split == "train" for s in manifest.shards) else "test"
    spec = manifest.spec
    samples: list[np.ndarray] = []
    captions: list[str] = []
    for shard in (s for s in manifest.shards if s.split == split):
        if len(samples) >= count or shard.count == 0:
            continue
        take = min(count - len(samples), shard.count)
        x = np.load(out_dir / shard.files["x"].name, mmap_mode="r")[:take]
        samples.extend(np.array(x))
        if "y" in shard.files:
            y = np.load(out_dir / shard.files["y"].name, mmap_mode="r")[:take]
            captions.extend(_caption(target, spec) for target in y)
        elif "ids" in shard.files:
            captions.extend(str(i) for i in np.load(out_dir / shard.files["ids"].name)[:take])
        else:
            captions.extend("" for _ in range(take))
    what = f"its {spec.label_column!r}" if split == "train" else f"its {spec.id_column!r}"
    return samples, captions, f"the first {len(samples)} {split} images, {what} under each"


def _caption(target: np.ndarray, spec) -> str:
    """A stored target as text: its class, its tags, or its value."""
    if spec.targets == "multi_hot":
        return " ".join(str(spec.classes[k]) for k in np.flatnonzero(target))
    if spec.targets == "value":
        return f"{float(target):.4g}"
    value = str(spec.classes[int(target)])
    if len(spec.classes) == 2:  # 0 or 1 means nothing without the column's name
        return f"{spec.label_column}={value}"
    return value
