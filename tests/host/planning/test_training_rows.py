"""What the train kernel would find too late, found by the planner: a batch larger than the
training rows, images smaller than the model's minimum side, a hold-out that keeps no row."""

from __future__ import annotations

import pandas as pd
from PIL import Image

from competitions import image_folder
from dry_run_cli import dry_run
from host.planning import make_plan
from host.settings import HostConfig
from shared.assignment import TrainChoices
from shared.training.settings import fit_batch, resolve_settings
from shared.training.strategy import Placement


def config_for(root, **sections) -> HostConfig:
    base = {"competition": {"slug": "tiny", "data_dir": str(root)}}
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    return HostConfig().replace(**base)


def refused(tmp_path, data, **settings) -> str:
    status, _, err = dry_run(tmp_path, data, **settings)
    assert status == 1 and "Traceback" not in err
    assert not (tmp_path / "work" / "kaggle").exists()
    assert not (tmp_path / "work" / "logs").exists()
    return err[len("dry run failed: "):]


def test_a_batch_larger_than_the_training_rows_is_lowered_and_said(tmp_path, fmnist):
    root = image_folder(tmp_path / "c", fmnist, 120, 10)
    plan = make_plan(config_for(root))  # [loader] batch_size 128 by default
    held = 120 - plan.choices.train_rows
    assert plan.choices.batch_size == plan.choices.train_rows == 120 - held and held > 0
    assert (f"note: [loader] batch_size 128 lowered to {120 - held}: the {120 - held} training "
            "rows make no full batch of 128, and every training batch is full (the global "
            "batch, batch_size x replicas: on more replicas the train kernel lowers it again)"
            ) in plan.table().splitlines()
    roomy = make_plan(config_for(root, loader={"batch_size": 32}))
    assert roomy.choices.batch_size == 32 and "lowered" not in roomy.table()


def test_the_train_kernel_fits_the_global_batch_to_its_replicas():
    choices = TrainChoices(model="article", backend="tensorflow", augment="none",
                           lr_schedule="constant", learning_rate=1e-3, monitor="val_loss",
                           batch_size=108, train_rows=108)
    two = Placement(backend="tensorflow", devices=("gpu:0", "gpu:1"), precision="float32",
                    platform="gpu", distribution="MirroredStrategy")
    settings = resolve_settings(choices, HostConfig(), two)
    assert settings.global_batch == 108 and settings.global_batch % 2 == 0
    assert settings.batch_note == ("batch 108 per replica lowered to 54: 108 training rows on "
                                   "2 replicas make no full global batch of 216")
    assert settings.describe().endswith(settings.batch_note)
    assert fit_batch(128, 0) == 128 and fit_batch(128, 7, 2) == 3 and fit_batch(2, 1, 2) == 1


def test_images_below_the_models_minimum_side_are_refused(tmp_path, fmnist):
    root = image_folder(tmp_path / "c", fmnist, 60, 10)
    for path in [*(root / "train").iterdir(), *(root / "test").iterdir()]:
        Image.new("L", (1, 1), 128).save(path)
    assert refused(tmp_path, root) == (
        "the images are stored at 1x1, and the article model pools the image twice, so each "
        "side must be at least 4 pixels: set [source] image_size = [4, 4] (or larger) to "
        "resize them up, or choose another [train] model")
    plan = make_plan(config_for(root, source={"image_size": [8, 8]}, loader={"batch_size": 8}))
    assert plan.spec.sample_shape == (8, 8, 1)


def test_a_hold_out_that_keeps_no_row_is_refused_naming_the_fixes(tmp_path, fmnist):
    root = image_folder(tmp_path / "c", fmnist, 450, 10)
    labels = pd.read_csv(root / "train.csv", dtype=str)
    labels["label"] = [f"c{i % 300:03d}" for i in range(450)]  # 300 classes, 1 or 2 rows each
    labels.to_csv(root / "train.csv", index=False)
    assert refused(tmp_path, root, loader="validation_fraction = 0.1") == (
        "[loader] validation_fraction = 0.1 holds out no row of the 450 train rows: the "
        "hold-out is stratified by class, 0.1 of each class rounded, and the 300 classes have 1 "
        "to 2 rows each. Set [train] folds = 5 to validate on every row in turn, or [loader] "
        "validation_fraction = 0 to train on every row without validation")
    assert make_plan(config_for(root, train={"folds": 5})).choices.train_rows == 360
