"""A pretrained backbone fine-tuned through the dry run, with a preset made here.

No ImageNet weights can be downloaded here, so the protocol of ``host.examples.tiny_preset``
stands in: a tiny keras_hub ResNet pretrained on photos of the example competition's
Fashion-MNIST items, saved with ``save_to_preset`` and its image converter into a
kagglehub-shaped cache. The dry runs fine-tune it on photos of *other* items (those of
``tests/data``), a few hundred, and compare it with the same backbone from random weights and
with the article's CNN from scratch, one dry run each on the same photos.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import keras
import numpy as np
import pytest

from dry_run_cli import CLI, ROOT
from host.dryrun import DryRunOptions, run_dry_run
from host.examples.photos import build_photos
from host.examples.tiny_preset import (TINY_HANDLE, disjoint_items, example_items,
                                       pretrained_photo_preset)
from host.planning.presets import CACHE_ENV
from host.settings import HostConfig
from shared.models.presets import enable_preset_loading

ROOT_EXAMPLE = "examples/fashion-mnist-mini"
SIZE = 32


@pytest.fixture(scope="module")
def cache(tmp_path_factory, fmnist):
    """kagglehub's cache with the tiny ResNet pretrained on photos of items unlike the test's."""
    held_out = np.concatenate([fmnist["x_train"], fmnist["x_test"]])[..., 0]
    items, labels = disjoint_items(example_items(ROOT / ROOT_EXAMPLE), held_out)
    root = tmp_path_factory.mktemp("kagglehub")
    pretrained_photo_preset(root, items, labels, size=SIZE, renders=2, epochs=6)
    return root


@pytest.fixture(scope="module")
def photos(tmp_path_factory, fmnist):
    """400 train and 100 test photos of the items of tests/data (a few are unreadable)."""
    source = (fmnist["x_train"][..., 0], fmnist["y_train"], fmnist["x_test"][..., 0],
              fmnist["y_test"])
    out = tmp_path_factory.mktemp("photos") / "data"
    build_photos(out, 500, seed=3, test_fraction=0.2, min_side=48, max_side=96, source=source,
                 workers=2, quiet=True)
    return out


@pytest.fixture
def kagglehub(cache, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(cache))
    return cache


def dry(data, work, *, mounts="notebooks", source=None, competition=None, rerun_data=None,
        **train) -> dict:
    config = HostConfig().replace(
        competition={"slug": "tiny-photos", "data_dir": str(data),
                     "max_fallback_fraction": 0.1, **(competition or {})}, source=source or {},
        plan={"kernel_budget": "2MB", "decode_workers": 1}, loader={"batch_size": 32},
        train={"epochs": 8, **train})
    return run_dry_run(DryRunOptions(config=config, data_dir=data, workdir=work,
                                     mounts=mounts, echo=None, rerun_data=rerun_data))


def test_the_fine_tuned_preset_beats_random_weights_and_the_cnn_from_scratch(
        kagglehub, photos, tmp_path):
    preset = {"model": TINY_HANDLE, "learning_rate": 0.01}
    scratch = dry(photos, tmp_path / "scratch", model="article",
                  source={"image_size": [SIZE, SIZE]})
    random = dry(photos, tmp_path / "random", weights="random", **preset)
    tuned = dry(photos, tmp_path / "tuned", **preset)
    scores = {name: report["local_score"]["value"] for name, report in
              (("scratch", scratch), ("random_weights", random), ("pretrained", tuned))}
    print(f"accuracy on 100 test photos: {json.dumps(scores)}")
    assert scores["pretrained"] >= scores["random_weights"] + 0.15
    assert scores["pretrained"] >= scores["scratch"] + 0.10
    metrics = tuned["train_metrics"]
    assert metrics["preset"]["handle"] == TINY_HANDLE and metrics["preset"]["head_epochs"] == 1
    assert metrics["preset"]["image_size"] == [SIZE, SIZE]  # from the converter
    # fine-tuned: the first convolution is no longer the preset's
    folder = kagglehub.joinpath("models", *TINY_HANDLE.split("/"))
    keras_hub = enable_preset_loading()
    preset_kernel = keras_hub.models.Backbone.from_preset(str(folder)).get_layer(
        "conv1_conv").kernel.numpy()
    working = tmp_path / "tuned" / "kaggle" / "tiny-photos-train" / "working"
    model = keras.models.load_model(working / "model.keras")
    tuned_kernel = model.get_layer("backbone").backbone.get_layer("conv1_conv").kernel.numpy()
    assert not np.allclose(tuned_kernel, preset_kernel)
    kernels = tmp_path / "tuned" / "kernels"
    meta = json.loads((kernels / "tiny-photos-train" / "kernel-metadata.json").read_text())
    assert meta["model_sources"] == [TINY_HANDLE]


def test_fold_kernels_find_the_same_preset_at_the_older_mount_depth(kagglehub, photos,
                                                                     tmp_path):
    report = dry(photos, tmp_path / "folds", mounts="legacy", model=TINY_HANDLE, folds=2,
                 epochs=2)
    folder = kagglehub.joinpath("models", *TINY_HANDLE.split("/")).resolve()
    found = []
    for fold in (0, 1):
        working = tmp_path / "folds" / "kaggle" / f"tiny-photos-train-fold-{fold}" / "working"
        metrics = json.loads((working / "metrics.json").read_text())
        found.append(metrics["preset_dir"])
        assert metrics["preset"]["handle"] == TINY_HANDLE
    tail = "/".join(TINY_HANDLE.split("/")[1:])
    assert all(p.endswith(f"/input/{tail}") for p in found)  # input/<model>/<framework>/...
    assert {Path(p).resolve() for p in found} == {folder}
    assert report["cv"] and report["local_score"] is not None


def test_a_code_competitions_inference_kernel_mounts_the_preset_and_reads_the_model(
        kagglehub, photos, tmp_path):
    # the photos as a code competition: the rerun predicts them again, offline, with the model
    # fine-tuned on the preset (its saved layers need keras_hub and this project's layers)
    report = dry(photos, tmp_path / "code", competition={"submission": "code"},
                 rerun_data=photos, model=TINY_HANDLE, epochs=2)
    slugs = [k["slug"] for k in report["kernels"]]
    assert slugs[-2:] == ["tiny-photos-infer", "tiny-photos-infer-rerun"]
    meta = json.loads((tmp_path / "code" / "kernels" / "tiny-photos-infer" /
                       "kernel-metadata.json").read_text())
    assert meta["model_sources"] == [TINY_HANDLE]
    assert report["rerun"]["rows"] == 100 and report["rerun"]["local_score"]["value"] > 0


def test_a_preset_not_downloaded_is_refused_before_any_kernel_runs(kagglehub, photos,
                                                                   tmp_path):
    handle = "keras/densenet/keras/densenet_121_imagenet/3"
    config = tmp_path / "pipeline.toml"
    config.write_text(f'[competition]\nslug = "tiny-photos"\ndata_dir = "{photos}"\n'
                      f'[train]\nmodel = "{handle}"\n')
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        status = CLI.main(["--config", str(config), "--workdir", str(tmp_path / "work")])
    err = err.getvalue()
    assert status == 1, err
    assert f"dry run failed: the preset {handle} ([train] model) is not downloaded" in err
    assert f"kagglehub.model_download('{handle}')" in err
    assert not (tmp_path / "work" / "logs").exists()
