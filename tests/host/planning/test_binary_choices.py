"""Binary probabilities: the metric (AUC or log loss, clipped), the positive class, and the
plan's note when a 0/1 competition may want probabilities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from competitions import task_competition
from host.planning import make_plan
from host.settings import HostConfig
from shared.tasks import task_for
from shared.tasks.binary_probability import CLIPS


def config_for(root, **competition) -> HostConfig:
    return HostConfig().replace(competition={"slug": "binary", "data_dir": str(root),
                                             **competition})


@pytest.fixture(scope="module")
def binary(tmp_path_factory, fmnist):
    return task_competition(tmp_path_factory.mktemp("b") / "comp", fmnist,
                            "binary-probability", 60, 10)


def test_the_plan_prints_the_positive_class_and_the_metric(binary):
    plan = make_plan(config_for(binary))
    line = plan.table().splitlines()[1]
    assert line.startswith("task binary-probability: P(1) per image, of classes [0, 1] (the "
                           "positive class is 1: [competition] positive_class names the other; "
                           'ROC AUC; [competition] metric = "log_loss" if it is scored by log '
                           "loss)")
    task = task_for(plan.layout)
    assert (task.metric, task.monitor, task.higher_is_better) == ("auc", "val_auc", True)
    assert task.calibrate(np.array([0, 1]), np.array([[0.2], [0.9]])) == {}
    assert list(task.submission_values(np.array([[0.0], [1.0]]), {})["label"]) == [0.0, 1.0]


def test_log_loss_clips_the_probabilities_by_a_clip_chosen_on_validation(binary):
    plan = make_plan(config_for(binary, metric="log_loss"))
    assert plan.layout.metric == "log_loss"
    assert "other; log loss; probabilities clipped, the clip chosen on the validation rows)" in \
        plan.table().splitlines()[1]
    task = task_for(plan.layout)
    assert (task.metric, task.monitor, task.higher_is_better) == ("log_loss", "val_loss", False)
    assert plan.choices.monitor == "val_loss"
    true = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    confident = np.array([[1.0], [0.0], [1.0], [0.0], [0.0], [0.0], [1.0], [1.0]])  # 2 wrong
    calibration = task.calibrate(true, confident)
    assert calibration == {"clip": max(CLIPS), "clip_from": "validation log loss"}
    written = task.submission_values(confident, calibration)["label"]
    assert written.min() == max(CLIPS) and written.max() == 1 - max(CLIPS)
    scores = task.validation_scores(true, confident, calibration)
    assert scores["val_log_loss"] < 1.0  # unclipped, two certain mistakes cost 34.5 / 8
    solution = pd.DataFrame({"label": ["1", "0"]})
    submission = pd.DataFrame({"label": ["0.9", "0.2"]})
    expected = -(np.log(0.9) + np.log(0.8)) / 2
    assert task.score(submission, solution) == pytest.approx(expected)


def test_positive_class_names_the_other_class(binary):
    plan = make_plan(config_for(binary, positive_class="0"))
    assert plan.layout.classes == (1, 0) and task_for(plan.layout).positive == 0
    assert "P(0) per image, of classes [1, 0] (the positive class is 0" in plan.table()
    labels = pd.read_csv(binary / "train.csv", dtype=str)["label"]
    from shared.sources import read_split_rows

    rows = read_split_rows(plan.layout, binary, "train")
    assert (rows.labels == (labels == "0").to_numpy()).all()  # target 1: the positive class


@pytest.mark.parametrize("setting, message", [
    (dict(positive_class="7"), r"\[competition\] positive_class = '7' is not one of the two "
                               r"classes '0', '1': name one of them \(empty: the larger, '1'\)"),
    (dict(metric="rmse"), r"\[competition\] metric = 'rmse': a binary-probability task is "
                          r"scored by auc or log_loss; set one of those, or \"auto\""),
])
def test_a_choice_the_task_does_not_offer_is_refused(binary, setting, message):
    with pytest.raises(ValueError, match=message):
        make_plan(config_for(binary, **setting))


def test_other_tasks_refuse_a_metric_or_a_positive_class(tmp_path, fmnist):
    root = task_competition(tmp_path / "l", fmnist, "label", 40, 6)
    with pytest.raises(ValueError, match=r"metric = 'log_loss': a label task is scored by "
                                         r"accuracy"):
        make_plan(config_for(root, metric="log_loss"))
    with pytest.raises(ValueError, match=r"positive_class = 'bag': a label task has no "
                                         r"positive class \(binary-probability has\)"):
        make_plan(config_for(root, positive_class="bag"))


def test_two_classes_with_a_class_value_say_that_probabilities_may_be_wanted(binary, tmp_path):
    import shutil

    root = shutil.copytree(binary, tmp_path / "hist")
    sample = pd.read_csv(root / "sample_submission.csv", dtype=str)
    sample["label"] = "0"  # the shape of Histopathologic Cancer Detection's sample
    sample.to_csv(root / "sample_submission.csv", index=False)
    plan = make_plan(config_for(root))
    assert plan.layout.task == "label"
    assert ("note: 2 classes and sample_submission.csv holds a class value ('0'), so each row "
            "gets a class, scored by accuracy. If the competition is scored by AUC or log loss "
            "it wants probabilities instead: set [competition] task = \"binary-probability\" "
            "(and metric = \"log_loss\" for log loss)") in plan.table().splitlines()
