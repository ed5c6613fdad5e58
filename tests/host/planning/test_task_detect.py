"""The planner decides the task kind from the labels and the sample, before any kernel runs."""

import numpy as np
import pandas as pd
import pytest
from competitions import image_folder, task_competition
from host.examples.fashion_mnist import CLASSES

from host.planning import make_plan
from host.settings import HostConfig
from shared.tasks import task_for

KINDS = ["label", "binary-probability", "class-probabilities", "multi-label", "regression",
         "top-k"]


def config_for(root, **sections) -> HostConfig:
    base = {"competition": {"slug": "kinds", "data_dir": str(root)}}
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    return HostConfig().replace(**base)


@pytest.fixture(scope="module")
def competitions(tmp_path_factory, fmnist):
    root = tmp_path_factory.mktemp("kinds")
    # 100 test images: enough for the multi-label test set to hold a dark bag
    return {kind: task_competition(root / kind, fmnist, kind, n_train=80, n_test=100)
            for kind in KINDS}


@pytest.mark.parametrize("kind, evidence", [
    ("label", "10 classes, one per image"),
    ("binary-probability", "2 classes and sample_submission.csv holds probabilities, e.g. '0.5'"),
    ("class-probabilities", "one column per class (10 columns named like the labels)"),
    ("multi-label", "labels are space-separated tags: 6 tags in"),
    ("regression", "labels are numbers with fractions"),
    ("top-k", "holds 3 space-separated labels per id, e.g. 'tshirt trouser pullover'"),
])
def test_each_kind_is_detected_with_its_evidence(competitions, kind, evidence):
    plan = make_plan(config_for(competitions[kind]))
    assert plan.layout.task == kind and plan.spec.task == kind
    assert plan.spec.targets == {"multi-label": "multi_hot", "regression": "value"}.get(
        kind, "class")
    line = plan.table().splitlines()[1]
    assert line.startswith(f"task {kind}: ") and evidence in line


def test_tags_and_top_k_are_read_from_the_data(competitions):
    tags = make_plan(config_for(competitions["multi-label"])).layout
    assert tags.classes == ("bag", "dark", "dress", "shoes", "top", "trousers")
    top = make_plan(config_for(competitions["top-k"])).layout
    assert top.top_k == 3 and len(top.classes) == 10
    probabilities = make_plan(config_for(competitions["class-probabilities"])).layout
    assert probabilities.value_columns == tuple(reversed(CLASSES))


def test_class_names_with_a_space_stay_classes(tmp_path, fmnist):
    root = image_folder(tmp_path / "c", fmnist, 60, 10)
    labels = pd.read_csv(root / "train.csv", dtype=str)
    labels["label"] = labels["label"].replace({"boot": "Ankle boot", "tshirt": "T-shirt top"})
    labels.to_csv(root / "train.csv", index=False)
    plan = make_plan(config_for(root))
    assert plan.layout.task == "label" and "Ankle boot" in plan.layout.classes


@pytest.mark.parametrize("values, kind", [
    (lambda n: np.arange(n) % 100 + 1, "regression"),  # 1..100: a dense numeric scale
    (lambda n: (np.arange(n) % 40) * 997, "label"),  # 40 sparse integer ids: classes
    (lambda n: np.arange(n) % 3, "label"),
])
def test_integer_labels_are_a_scale_or_classes(tmp_path, fmnist, values, kind):
    root = image_folder(tmp_path / "c", fmnist, 200, 10, string_labels=False)
    labels = pd.read_csv(root / "train.csv", dtype=str)
    labels["label"] = values(len(labels))
    labels.to_csv(root / "train.csv", index=False)
    config = config_for(root, loader={"validation_fraction": 0.0})  # 5 rows a class at most
    assert make_plan(config).layout.task == kind


def test_the_setting_overrides_the_guess(tmp_path, fmnist):
    root = task_competition(tmp_path / "b", fmnist, "binary-probability", 60, 10)
    sample = pd.read_csv(root / "sample_submission.csv", dtype=str)
    sample["label"] = "0"  # an integer: the guess is one class per image
    sample.to_csv(root / "sample_submission.csv", index=False)
    assert make_plan(config_for(root)).layout.task == "label"
    plan = make_plan(config_for(root, competition={"task": "binary-probability"}))
    assert plan.layout.task == "binary-probability"
    assert "because [competition] task" in plan.table()


def test_a_task_that_does_not_fit_the_labels_is_refused(competitions):
    with pytest.raises(ValueError, match=r"task = regression, but column 'label' holds "
                                         r"'[a-z-]+', not a number"):
        make_plan(config_for(competitions["label"], competition={"task": "regression"}))
    with pytest.raises(ValueError, match=r"binary-probability needs 2 classes; column 'label' "
                                         r"has 10"):
        make_plan(config_for(competitions["label"],
                             competition={"task": "binary-probability"}))


def test_an_unknown_submission_shape_is_refused_by_the_planner(tmp_path, fmnist):
    root = image_folder(tmp_path / "c", fmnist, 60, 10)
    sample = pd.read_csv(root / "sample_submission.csv", dtype=str)
    sample["Usage"] = "Public"
    sample.to_csv(root / "sample_submission.csv", index=False)
    with pytest.raises(ValueError, match=r"sample_submission.csv has columns \['id', 'label', "
                                         r"'Usage'\] \(e.g. row 0: id='t000', label='tshirt', "
                                         r"Usage='Public'\).*Set \[competition\] task to one of "
                                         r"binary-probability, class-probabilities, label"):
        make_plan(config_for(root))


def test_a_header_only_sample_is_refused_by_the_planner(tmp_path, fmnist):
    root = image_folder(tmp_path / "c", fmnist, 60, 10)
    (root / "sample_submission.csv").write_text("id,label\n")
    with pytest.raises(ValueError, match=r"holds only its header \(id, label\) and no rows: "
                                         r"expected one row per test id.*If this is a code "
                                         r"competition .* set \[competition\] submission = "
                                         r'"code"'):
        make_plan(config_for(root))


def test_a_monitor_the_task_does_not_report_is_refused_by_the_planner(competitions):
    with pytest.raises(ValueError, match=r"\[train\] monitor = 'val_auc': a label task reports "
                                         r"val_accuracy, val_loss"):
        make_plan(config_for(competitions["label"], train={"monitor": "val_auc"}))
    plan = make_plan(config_for(competitions["regression"], train={"monitor": "val_rmse"}))
    assert plan.layout.task == "regression"


def test_an_unknown_tag_in_a_kernel_range_names_its_row(competitions, tmp_path):
    from shared.sources import read_split_rows

    layout = make_plan(config_for(competitions["multi-label"])).layout
    labels = pd.read_csv(competitions["multi-label"] / "train.csv", dtype=str)
    labels.loc[5, "label"] = "top shiny"
    copy = tmp_path / "copy"
    copy.mkdir()
    labels.to_csv(copy / "train.csv", index=False)
    with pytest.raises(ValueError, match=r"tag 'shiny' in column 'label' is not in the planned "
                                         r"tag list .*'[0-9a-f]{10}' \(row 5, line 7\)"):
        read_split_rows(layout, copy, "train")


def test_multi_label_can_submit_a_combination_training_never_showed(competitions):
    root = competitions["multi-label"]
    train = set(pd.read_csv(root / "train.csv", dtype=str)["label"])
    solution = set(pd.read_csv(root / "solution.csv", dtype=str)["label"])
    assert "bag dark" in solution - train  # the fixture holds an unseen combination
    task = task_for(make_plan(config_for(root)).layout)
    bag, dark = task.classes.index("bag"), task.classes.index("dark")
    p = np.full((1, len(task.classes)), 0.1)
    p[0, [bag, dark]] = 0.9
    assert task.submission_values(p, {"threshold": 0.5})["label"][0] == "bag dark"
