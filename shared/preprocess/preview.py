"""A PNG grid of the first stored samples with their labels, written next to the manifest.

It is drawn from the finished shards (not from the decoder), so it shows what the train
kernel will read: if a picture and its label disagree, the shards do too.
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

__all__ = ["PREVIEW_NAME", "write_preview"]

PREVIEW_NAME = "preview.png"
COLUMNS = 8
TILE = 96  # pixels per tile side, whatever the sample size
TEXT_HEIGHT = 14


def write_preview(out_dir: str | os.PathLike, manifest: Manifest, count: int = 32) -> Path | None:
    """Draw up to ``count`` samples of the first split in ``manifest``; None if it is empty."""
    out_dir = Path(out_dir)
    samples, captions = _first_samples(out_dir, manifest, count)
    if not samples:
        return None
    rows = math.ceil(len(samples) / COLUMNS)
    cols = min(COLUMNS, len(samples))
    sheet = Image.new("RGB", (cols * TILE, rows * (TILE + TEXT_HEIGHT)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    for i, (sample, caption) in enumerate(zip(samples, captions)):
        x, y = (i % COLUMNS) * TILE, (i // COLUMNS) * (TILE + TEXT_HEIGHT)
        tile = Image.fromarray(sample[..., 0] if sample.shape[2] == 1 else sample)
        inner = TILE - 4
        if max(tile.size) > inner:
            tile.thumbnail((inner, inner))
        else:  # small images: enlarge by a whole factor so pixels stay sharp
            scale = inner // max(tile.size)
            tile = tile.resize((tile.width * scale, tile.height * scale),
                               Image.Resampling.NEAREST)
        sheet.paste(tile.convert("RGB"), (x + (TILE - tile.width) // 2, y + 2))
        draw.text((x + 3, y + TILE), caption[:14], fill="black", font=font)
    png = io.BytesIO()
    sheet.save(png, format="PNG")
    return write_bytes_atomic(out_dir / PREVIEW_NAME, png.getvalue())


def _first_samples(out_dir: Path, manifest: Manifest, count: int):
    split = "train" if any(s.split == "train" for s in manifest.shards) else "test"
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
            captions.extend(_caption(target, manifest.spec) for target in y)
        elif "ids" in shard.files:
            captions.extend(str(i) for i in np.load(out_dir / shard.files["ids"].name)[:take])
        else:
            captions.extend("" for _ in range(take))
    return samples, captions


def _caption(target: np.ndarray, spec) -> str:
    """A stored target as text: its class, its tags, or its value."""
    if spec.targets == "multi_hot":
        return " ".join(str(spec.classes[k]) for k in np.flatnonzero(target))
    if spec.targets == "value":
        return f"{float(target):.4g}"
    return str(spec.classes[int(target)])
