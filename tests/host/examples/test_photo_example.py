"""The photo competition (host.examples.photos) and the preprocessing kernel reading it."""

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from host.examples.photos import VARIANTS, build_photos, encode, plan_photos, render_upright
from host.planning import make_plan
from host.settings import HostConfig
from shared.preprocess import run_preprocess
from shared.sources import DecodeSettings, decode_image
from shared.store import ShardSet

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def source(fmnist):
    return (fmnist["x_train"][..., 0], fmnist["y_train"], fmnist["x_test"][..., 0],
            fmnist["y_test"])


def test_the_plan_is_deterministic_and_holds_every_kind(source):
    labels = (source[1], source[3])
    specs = plan_photos(60, seed=3, labels=labels, min_side=32, max_side=96)
    assert specs == plan_photos(60, seed=3, labels=labels, min_side=32, max_side=96)
    assert specs != plan_photos(60, seed=4, labels=labels, min_side=32, max_side=96)
    assert {s.variant for s in specs} == set(VARIANTS)
    assert [s.split for s in specs].count("test") == 6 and specs[-1].split == "test"
    assert len({s.id for s in specs}) == 60
    assert all(32 <= min(s.width, s.height) and max(s.width, s.height) <= 192 for s in specs)
    assert len({round(s.width / s.height, 1) for s in specs}) > 10  # many aspect ratios
    assert {s.orientation for s in specs if s.variant == "exif"} >= {6, 8}
    for s in specs:
        pool = labels[0] if s.split == "train" else labels[1]
        assert s.label == pool[s.item]
    with pytest.raises(ValueError, match="count = 1: expected at least 2 images"):
        plan_photos(1, labels=labels)


def test_items_repeat_with_other_looks_beyond_the_originals(source):
    specs = plan_photos(1300, labels=(source[1][:100], source[3][:20]), min_side=32,
                        max_side=64)
    train = [s for s in specs if s.split == "train"]
    again = [s for s in train if s.item == 7]
    assert len(again) > 5 and len({(s.tint, s.width, s.height, s.crop) for s in again}) == \
        len(again)


def _stored(split, root):
    """{source row: sample} of one split of a shard set."""
    index = ShardSet.discover(root).split(split)
    samples = np.concatenate([np.load(s.x) for s in index.shards])
    return dict(zip(index.source_rows().tolist(), samples))


def test_photos_go_through_the_preprocessing_kernel_upright(tmp_path, source):
    comp = tmp_path / "comp"
    specs = build_photos(comp, 30, seed=1, min_side=40, max_side=120, source=source,
                         workers=2, quiet=True)
    train = pd.read_csv(comp / "train.csv", dtype=str)
    assert len(train) == 27 and len(pd.read_csv(comp / "solution.csv")) == 3
    assert (comp / "train" / specs[4].file_name).suffix == ".png"  # the png_alpha one
    config = HostConfig().replace(
        competition={"slug": "photos"}, source={"image_size": [32, 32], "channels": 3},
        plan={"decode_workers": 1, "kernel_budget": 40_000})
    plan = make_plan(config, comp)
    assert len(plan.preprocess) >= 2
    for a in plan.preprocess:
        run_preprocess(a, comp, tmp_path / "out" / a.kernel, progress=False)
    shards = ShardSet.discover(tmp_path / "out")
    rejected = {r.id: r.reason for _, m in shards.manifests for r in m.rejects}
    assert set(rejected) == {s.id for s in specs if s.variant == "truncated"}
    assert all(reason.startswith("truncated image") for reason in rejected.values())

    stored = {**{("train", k): v for k, v in _stored("train", tmp_path / "out").items()},
              **{("test", k): v for k, v in _stored("test", tmp_path / "out").items()}}
    settings = DecodeSettings(size=(32, 32), channels=3)
    offsets = {"train": 0, "test": 27}
    checked = {v: 0 for v in VARIANTS}
    for i, spec in enumerate(specs):
        if spec.variant == "truncated":
            continue
        upright, mask = render_upright(spec, source[0 if spec.split == "train" else 2][
            spec.item])
        reference = io.BytesIO()
        if spec.variant == "png_alpha":  # exact: the same RGBA, composited onto black
            Image.open(io.BytesIO(encode(spec, upright, mask))).save(reference, format="PNG")
        elif spec.variant == "gray":
            upright.convert("L").save(reference, format="PNG")
        else:
            upright.save(reference, format="PNG")
        expected = decode_image(reference, settings).astype(int)
        got = stored[(spec.split, i - offsets[spec.split])].astype(int)
        error = np.abs(got - expected).mean()
        assert error < 6, (spec.variant, spec.orientation, error)
        if spec.variant == "exif":  # read as stored, without the tag, it would not match
            with Image.open(comp / spec.split / spec.file_name) as raw:
                as_stored = np.asarray(raw.convert("RGB").resize((32, 32),
                                                                 Image.Resampling.BILINEAR))
            assert np.abs(as_stored.astype(int) - expected).mean() > 2 * error + 5
        checked[spec.variant] += 1
    assert all(checked[v] for v in VARIANTS if v != "truncated")


def _write_idx(path, array: np.ndarray) -> None:
    """An IDX file as Fashion-MNIST ships them (uint8, big-endian dimensions)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + np.ascontiguousarray(array, np.uint8).tobytes())


def test_the_command_line_builds_photos_from_idx_files(tmp_path, fmnist):
    idx = tmp_path / "idx"
    idx.mkdir()
    for name, array in (("train-images-idx3-ubyte", fmnist["x_train"][..., 0]),
                        ("train-labels-idx1-ubyte", fmnist["y_train"]),
                        ("t10k-images-idx3-ubyte", fmnist["x_test"][..., 0]),
                        ("t10k-labels-idx1-ubyte", fmnist["y_test"])):
        _write_idx(idx / name, array)
    proc = subprocess.run([sys.executable, "scripts/make_example.py", "--photos", "12", "--out",
                           str(tmp_path / "photos"), "--idx-dir", str(idx), "--workers", "1"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "wrote 11 train and 1 test photos" in proc.stdout
    out = tmp_path / "photos"
    assert sorted(p.name for p in out.iterdir()) == ["LICENSE.txt", "sample_submission.csv",
                                                      "solution.csv", "test", "train",
                                                      "train.csv"]
    assert len(list((out / "train").iterdir())) == 11
    assert not (tmp_path / ".photos.partial").exists()


def test_files_over_the_pixel_limit_are_rejected_by_id_and_the_run_goes_on(tmp_path, source):
    comp = tmp_path / "comp"
    specs = build_photos(comp, 16, seed=2, min_side=40, max_side=120, source=source,
                         workers=1, quiet=True)
    limit = int(np.median([s.width * s.height for s in specs]))
    config = HostConfig().replace(
        competition={"slug": "photos"}, plan={"decode_workers": 1},
        source={"image_size": [32, 32], "channels": 3, "max_image_pixels": limit},
        loader={"validation_fraction": 0.0})  # a tiny set: a stratified hold-out would keep no row
    (assignment,) = make_plan(config, comp).preprocess
    summary = run_preprocess(assignment, comp, tmp_path / "out", progress=False)
    too_large = {r.id: r.reason for r in summary.rejects if "too large" in r.reason}
    assert set(too_large) == {s.id for s in specs if s.width * s.height > limit}
    spec = next(s for s in specs if s.id in too_large)
    assert too_large[spec.id] == (
        f"image too large: {spec.width}x{spec.height} = {spec.width * spec.height:,} pixels, "
        f"over the limit of {limit:,} ([source] max_image_pixels, a guard against "
        "decompression bombs): raise it if such files are genuine")
    assert summary.samples == 16 - len(summary.rejects) > 0
