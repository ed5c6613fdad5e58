"""A photo competition built from the real Fashion-MNIST images, at any size.

Each image is one Fashion-MNIST item (possibly cropped), tinted, scaled onto a background
gradient of a random size and aspect ratio, and stored the ways photo competitions store
them: mostly RGB JPEGs, some turned sideways with an EXIF orientation tag, some grayscale,
some CMYK, some PNG with an alpha channel, and a few truncated (unreadable: the kernels
reject them by id). Beyond the 60k/10k originals, items repeat with other tints, crops and
sizes. ``plan_photos`` decides every file (a pure function of count and seed),
``render_upright`` draws one as it should look, ``encode`` stores it; ``build_photos``
writes the competition in parallel processes:
``train/<id>.jpg|png``, ``test/<id>.jpg|png``, ``train.csv``, ``sample_submission.csv``,
``solution.csv`` (for local scoring only) and ``LICENSE.txt``.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from PIL import Image

from host.examples.fashion_mnist import CLASSES, LICENSE, unique_ids
from host.examples.idx import load_fashion_mnist

__all__ = ["VARIANTS", "STORED_TRANSPOSE", "PhotoSpec", "plan_photos", "render_upright",
           "encode", "build_photos"]

# How files are stored, with their share of the images.
VARIANTS = {"jpeg": 0.62, "exif": 0.13, "gray": 0.08, "cmyk": 0.06, "png_alpha": 0.08,
            "truncated": 0.03}
# EXIF orientation -> the transpose that stores an upright image so that a viewer applying
# the tag shows it upright again (the inverse of what ImageOps.exif_transpose does).
STORED_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
                    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
                    6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
                    8: Image.Transpose.ROTATE_270}
_ORIENTATIONS = (6, 8, 3, 6, 8, 2, 4, 5, 7)  # sideways most often, as phones do


@dataclass(frozen=True)
class PhotoSpec:
    """One file of the competition: which item, how it looks, how it is stored."""

    id: str
    split: str  # train | test
    item: int  # index into that split's Fashion-MNIST images
    label: int
    width: int
    height: int
    crop: tuple[int, int, int]  # x, y, side of the square cut from the 28x28 item
    scale: float  # the item's side over the photo's shorter side
    offset: tuple[float, float]  # where the item sits, 0..1 of the free space
    tint: tuple[int, int, int]
    background: tuple[tuple[int, int, int], tuple[int, int, int]]  # top and bottom colours
    variant: str
    orientation: int = 1
    quality: int = 90

    @property
    def file_name(self) -> str:
        return f"{self.id}.{'png' if self.variant == 'png_alpha' else 'jpg'}"


def _colour(rng: np.random.Generator, low: int, high: int) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(low, high, 3))


def plan_photos(count: int, *, seed: int = 0, test_fraction: float = 0.1,
                min_side: int = 96, max_side: int = 640,
                labels: tuple[np.ndarray, np.ndarray] | None = None) -> list[PhotoSpec]:
    """Every file of a competition of ``count`` images (train first, then test).

    ``labels``: the Fashion-MNIST train and test labels (loaded when not given). The first
    images cycle through every storage variant, so even a small set holds each kind.
    """
    if count < 2:
        raise ValueError(f"count = {count}: expected at least 2 images (one train, one test)")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction = {test_fraction}: expected a number in (0, 1)")
    if not 8 <= min_side <= max_side:
        raise ValueError(f"sides {min_side}..{max_side}: expected 8 <= min_side <= max_side")
    y_train, y_test = labels if labels is not None else load_fashion_mnist()[1::2]
    test = max(1, round(count * test_fraction))
    rng = np.random.default_rng(seed)
    ids = unique_ids(count, rng)
    names, weights = list(VARIANTS), np.array(list(VARIANTS.values()))
    specs = []
    for i in range(count):
        r = np.random.default_rng([seed, i])
        split = "train" if i < count - test else "test"
        pool = y_train if split == "train" else y_test
        item = (i if split == "train" else i - (count - test)) % len(pool)
        short = int(r.integers(min_side, max_side + 1))
        long = min(max_side * 2, int(short * r.uniform(1.0, 2.0)))
        width, height = (long, short) if r.random() < 0.5 else (short, long)
        side = int(r.integers(22, 29))
        variant = names[i] if i < len(names) else names[r.choice(len(names), p=weights)]
        specs.append(PhotoSpec(
            id=ids[i], split=split, item=item, label=int(pool[item]), width=width,
            height=height, crop=(int(r.integers(0, 29 - side)), int(r.integers(0, 29 - side)),
                                 side),
            scale=float(r.uniform(0.55, 0.95)), offset=(float(r.random()), float(r.random())),
            tint=_colour(r, 60, 256), background=(_colour(r, 0, 200), _colour(r, 0, 200)),
            variant=variant, quality=int(r.integers(75, 96)),
            orientation=int(_ORIENTATIONS[i % len(_ORIENTATIONS)]) if variant == "exif" else 1))
    return specs


def render_upright(spec: PhotoSpec, item: np.ndarray) -> tuple[Image.Image, Image.Image]:
    """The photo as it should look (RGB), and where the item is on it (an ``L`` mask)."""
    x, y, side = spec.crop
    size = max(4, int(spec.scale * min(spec.width, spec.height)))
    cut = Image.fromarray(np.ascontiguousarray(item[y:y + side, x:x + side]), "L")
    mask = Image.new("L", (spec.width, spec.height))
    mask.paste(cut.resize((size, size), Image.Resampling.BICUBIC),
               (int(spec.offset[0] * (spec.width - size)),
                int(spec.offset[1] * (spec.height - size))))
    top, bottom = (np.array(c, np.float32) for c in spec.background)
    fade = np.linspace(0.0, 1.0, spec.height, dtype=np.float32)[:, None, None]
    column = np.clip(top + (bottom - top) * fade + 0.5, 0, 255).astype(np.uint8)
    background = Image.fromarray(column, "RGB").resize((spec.width, spec.height),
                                                       Image.Resampling.NEAREST)
    item_colour = Image.new("RGB", (spec.width, spec.height), spec.tint)
    return Image.composite(item_colour, background, mask), mask


def encode(spec: PhotoSpec, upright: Image.Image, mask: Image.Image) -> bytes:
    """The file's bytes, stored as ``spec.variant`` says."""
    out = io.BytesIO()
    if spec.variant == "png_alpha":
        rgba = upright.convert("RGBA")
        rgba.putalpha(mask.point(lambda v: min(255, 2 * v)))
        rgba.save(out, format="PNG", compress_level=1)
        return out.getvalue()
    img, extra = upright, {}
    if spec.variant == "exif":
        img = upright.transpose(STORED_TRANSPOSE[spec.orientation])
        exif = Image.Exif()
        exif[0x0112] = spec.orientation
        extra = {"exif": exif}
    elif spec.variant == "gray":
        img = upright.convert("L")
    elif spec.variant == "cmyk":
        img = upright.convert("CMYK")
    img.save(out, format="JPEG", quality=spec.quality, **extra)
    data = out.getvalue()
    if spec.variant == "truncated":
        return data[:len(data) * 2 // 5]
    return data


_ITEMS: dict[str, np.ndarray] = {}


def _write_chunk(job: tuple[str, Sequence[PhotoSpec]]) -> int:
    folder, specs = job
    written = 0
    for spec in specs:
        upright, mask = render_upright(spec, _ITEMS[spec.split][spec.item])
        data = encode(spec, upright, mask)
        with open(os.path.join(folder, spec.split, spec.file_name), "wb") as fh:
            fh.write(data)
        written += len(data)
    return written


def build_photos(out: Path, count: int, *, seed: int = 0, test_fraction: float = 0.1,
                 min_side: int = 96, max_side: int = 640, idx_dir: str | None = None,
                 source: Sequence[np.ndarray] | None = None, workers: int = 0,
                 quiet: bool = False) -> list[PhotoSpec]:
    """Write the competition into ``out`` (replaced whole, only once complete).

    ``source``: ``(x_train, y_train, x_test, y_test)`` of 28x28 items; default: Fashion-MNIST
    from ``idx_dir`` (or the Debian package's folder)."""
    x_train, y_train, x_test, y_test = source if source is not None else \
        load_fashion_mnist(idx_dir)
    x_train, x_test = (np.asarray(x).reshape(len(x), 28, 28) for x in (x_train, x_test))
    specs = plan_photos(count, seed=seed, test_fraction=test_fraction, min_side=min_side,
                        max_side=max_side, labels=(y_train, y_test))
    out = Path(out)
    partial = out.with_name(f".{out.name}.partial")
    if partial.exists():
        shutil.rmtree(partial)
    for split in ("train", "test"):
        (partial / split).mkdir(parents=True)
    _ITEMS.update(train=x_train, test=x_test)  # forked workers inherit them
    workers = workers or len(os.sched_getaffinity(0))
    chunk = max(1, min(500, count // (4 * workers) or 1))
    jobs = [(str(partial), specs[i:i + chunk]) for i in range(0, count, chunk)]
    started, done, written = time.perf_counter(), 0, 0
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for (_, part), size in zip(jobs, pool.map(_write_chunk, jobs)):
            done, written = done + len(part), written + size
            if not quiet and (done == count or done % max(chunk, count // 10) < len(part)):
                print(f"  {done}/{count} images, {written / 1e6:.0f} MB, "
                      f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    names = np.asarray(CLASSES)
    train = [s for s in specs if s.split == "train"]
    test = [s for s in specs if s.split == "test"]
    pd.DataFrame({"id": [s.id for s in train], "label": names[[s.label for s in train]]}).to_csv(
        partial / "train.csv", index=False)
    pd.DataFrame({"id": [s.id for s in test], "label": CLASSES[0]}).to_csv(
        partial / "sample_submission.csv", index=False)
    pd.DataFrame({"id": [s.id for s in test], "label": names[[s.label for s in test]]}).to_csv(
        partial / "solution.csv", index=False)
    (partial / "LICENSE.txt").write_text(LICENSE)
    if out.exists():
        shutil.rmtree(out)
    os.replace(partial, out)
    if not quiet:
        kinds = {v: sum(s.variant == v for s in specs) for v in VARIANTS}
        print(f"wrote {len(train)} train and {len(test)} test photos ({written / 1e6:.0f} MB: "
              + ", ".join(f"{n} {v}" for v, n in kinds.items()) + f") to {out}")
    return specs
