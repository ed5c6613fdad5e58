"""The sample's placeholder is checked against the known classes before any kernel runs:
``Ankle boot`` is one class, not top-2, and top-k never meets a class with a space."""

from __future__ import annotations

import pandas as pd
import pytest

from competitions import image_folder
from dry_run_cli import dry_run
from host.planning import make_plan
from host.settings import HostConfig

NAMES = {"boot": "Ankle boot", "tshirt": "T-shirt top"}


def config_for(root, **competition) -> HostConfig:
    return HostConfig().replace(competition={"slug": "spaces", "data_dir": str(root),
                                             **competition})


@pytest.fixture
def spaced(tmp_path, fmnist):
    root = image_folder(tmp_path / "comp", fmnist, 60, 8)
    labels = pd.read_csv(root / "train.csv", dtype=str)
    labels["label"] = labels["label"].replace(NAMES)
    labels.to_csv(root / "train.csv", index=False)
    return root


def placeholder(root, value: str) -> None:
    sample = pd.read_csv(root / "sample_submission.csv", dtype=str)
    sample["label"] = value
    sample.to_csv(root / "sample_submission.csv", index=False)


def test_a_class_with_a_space_as_the_placeholder_is_one_label(spaced):
    placeholder(spaced, "Ankle boot")
    plan = make_plan(config_for(spaced))
    assert plan.layout.task == "label" and plan.layout.top_k == 0
    assert "Ankle boot" in plan.layout.classes
    line = plan.table().splitlines()[1]
    assert line.startswith("task label: one of 10 classes per image")


def test_top_k_with_a_class_holding_a_space_is_refused_before_any_kernel(tmp_path, spaced):
    placeholder(spaced, "bag pullover")  # two labels: top-2, but 'Ankle boot' has a space
    status, _, err = dry_run(tmp_path, spaced)
    assert status == 1 and "Traceback" not in err
    assert err == (
        "dry run failed: a top-k submission separates its 2 labels by spaces, but class "
        "'Ankle boot' holds a space (2 classes do): its words would read as separate labels. "
        "Set [competition] task = \"label\" if each row wants one class (task top-k: "
        "sample_submission.csv holds 2 space-separated labels per id, e.g. 'bag pullover')")
    assert not (tmp_path / "work" / "kaggle").exists()
    assert not (tmp_path / "work" / "logs").exists()


def test_top_k_named_in_the_settings_is_refused_too(spaced):
    placeholder(spaced, "Ankle boot")
    with pytest.raises(ValueError, match=r"class 'Ankle boot' holds a space .* \(task top-k: "
                                         r"\[competition\] task\)"):
        make_plan(config_for(spaced, task="top-k"))
