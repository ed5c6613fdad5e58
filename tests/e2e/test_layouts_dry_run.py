"""Layouts without a labels CSV, and zipped images, dry-run to a submission scored against the
true labels, with no image extracted to disk."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from dry_run_cli import CLI
from host.examples.layouts import LayoutExample, write_layout_example
from shared.metrics import roc_auc

CONFIG = """\
[competition]
slug = "{slug}"
data_dir = "{data}"
{competition}
[plan]
kernel_budget = "150KB"
decode_workers = 2

[store]
shard_bytes = "30KB"

[loader]
batch_size = 16

[train]
epochs = {epochs}
"""


def dry_run(tmp: Path, data: Path, slug: str, competition: str = "", epochs: int = 4) -> dict:
    config = tmp / "pipeline.toml"
    config.write_text(CONFIG.format(slug=slug, data=data, competition=competition,
                                    epochs=epochs))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = CLI.main(["--config", str(config), "--workdir", str(tmp / "work")])
    assert status == 0, err.getvalue()[-3000:]
    return json.loads((tmp / "work" / "report.json").read_text()) | {"out": out.getvalue()}


def images_on_disk(folder: Path, ext: str) -> list[str]:
    """Files named like the competition's images anywhere below ``folder`` (links not
    followed: the mounted inputs are links to the data)."""
    found = []
    for dirpath, _, files in os.walk(folder):
        found += [os.path.join(dirpath, f) for f in files if f.lower().endswith(ext)]
    return found


def competition(tmp: Path, fmnist, layout: str, zipped: bool) -> Path:
    return write_layout_example(tmp / "data", LayoutExample(layout, zipped, ".jpg"),
                                fmnist["x_train"], fmnist["y_train"], fmnist["x_test"],
                                fmnist["y_test"])


def test_dogs_vs_cats_redux_log_loss_of_p_dog_from_zips(tmp_path, fmnist):
    data = competition(tmp_path, fmnist, "file_names", zipped=True)
    assert not (data / "train").exists() and (data / "train.zip").is_file()
    report = dry_run(tmp_path, data, "dogs-vs-cats-redux", 'metric = "log_loss"')
    assert report["local_score"]["metric"] == "log_loss"
    assert report["local_score"]["value"] < 0.3  # P = 0.5 everywhere scores ln 2 = 0.693
    submission = pd.read_csv(report["submission"], dtype={"id": str})
    solution = pd.read_csv(data / "solution.csv", dtype={"id": str})
    assert list(submission["id"]) == list(solution["id"])
    is_dog = (solution["label"] == "dog").to_numpy()
    assert roc_auc(is_dog, submission["label"].to_numpy()) > 0.9  # P(dog), not P(cat)
    clip = report["train_metrics"]["clip"]
    assert submission["label"].between(clip, 1 - clip).all()
    assert images_on_disk(tmp_path / "work", ".jpg") == []


@pytest.mark.parametrize("layout, zipped", [("class_folders", False),
                                            ("image_folder", True)])
def test_class_folders_and_zipped_images_score_against_the_truth(tmp_path, fmnist, layout,
                                                                  zipped):
    data = competition(tmp_path, fmnist, layout, zipped)
    report = dry_run(tmp_path, data, layout.replace("_", "-"))
    assert report["local_score"]["metric"] == "accuracy"
    truth = pd.read_csv(data / "solution.csv")["label"]
    prior = truth.value_counts(normalize=True).max()
    assert report["local_score"]["value"] > prior + 0.3, (report["local_score"], prior)
    assert images_on_disk(tmp_path / "work", ".jpg") == []
    if zipped:
        assert sorted(p.name for p in data.iterdir() if p.is_dir()) == []
