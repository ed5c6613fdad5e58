"""preview.png: each label right under its own image, and the column it comes from named."""

from __future__ import annotations

import numpy as np
from PIL import Image

from competitions import task_competition
from host.planning import make_plan
from host.settings import HostConfig
from shared.preprocess import run_preprocess
from shared.preprocess.preview import (COLUMNS, TEXT_HEIGHT, TILE, TITLE_HEIGHT, cell_places,
                                       _first_samples)
from shared.store import Manifest


def preview_of(tmp_path, fmnist, size):
    comp = task_competition(tmp_path / "comp", fmnist, "binary-probability", 40, 4)
    config = HostConfig().replace(
        competition={"slug": "preview"}, source={"image_size": list(size)},
        loader={"validation_fraction": 0.0}, plan={"decode_workers": 1})
    (assignment,) = make_plan(config, comp).preprocess
    out = tmp_path / "out"
    summary = run_preprocess(assignment, comp, out, progress=False)
    return out, summary.preview


def test_a_two_class_label_names_its_column_and_the_title_says_which(tmp_path, fmnist):
    out, _ = preview_of(tmp_path, fmnist, (28, 28))
    samples, captions, title = _first_samples(out, Manifest.load(out / "manifest.json"), 32)
    assert title == "the first 32 train images, its 'label' under each"
    assert set(captions) == {"label=0", "label=1"}


def test_each_caption_sits_right_under_its_image(tmp_path, fmnist):
    out, preview = preview_of(tmp_path, fmnist, (16, 64))  # wide: a short tile
    dark = np.asarray(Image.open(preview).convert("L")) < 128
    for index in (0, 5, COLUMNS + 2):
        (x, y), (tx, ty) = cell_places(index, (64, 16), 42)
        cell_x = (index % COLUMNS) * TILE
        assert (x, tx) == (cell_x + (TILE - 64) // 2, cell_x + (TILE - 42) // 2)  # centred
        assert ty == y + 16 + 1  # right under the image
        under = dark[ty:ty + TEXT_HEIGHT - 2, cell_x:cell_x + TILE]
        assert under.any()  # the caption's ink is right below the image
        cell_bottom = TITLE_HEIGHT + (index // COLUMNS + 1) * (TILE + TEXT_HEIGHT)
        assert not dark[ty + TEXT_HEIGHT:cell_bottom, cell_x:cell_x + TILE].any()
        assert not dark[TITLE_HEIGHT + (index // COLUMNS) * (TILE + TEXT_HEIGHT):y,
                        cell_x:cell_x + TILE].any()  # nothing above the image in its cell
