"""Task kinds on their own: the metrics, the writers and their checks, the heads."""

import numpy as np
import pandas as pd
import pytest

from shared.metrics import accuracy, log_loss, map_at_k, mean_f1, rmse, roc_auc
from shared.tasks import TaskShapeError, monitor_mode, resolve_monitor
from shared.tasks.binary_probability import BinaryProbabilityTask
from shared.tasks.class_probabilities import ClassProbabilitiesTask
from shared.tasks.label import LabelTask
from shared.tasks.multi_label import MultiLabelTask
from shared.tasks.regression import RegressionTask
from shared.tasks.top_k import TopKTask


def test_metrics_match_hand_computed_values():
    assert accuracy(np.array([1, 2, 3]), np.array([1, 0, 3])) == pytest.approx(2 / 3)
    # 3 positives, 2 negatives; ranks of the scores, ties counted half
    assert roc_auc(np.array([1, 1, 0, 1, 0]), np.array([.9, .4, .4, .8, .1])) == \
        pytest.approx((2 + 2 + 1.5) / 6)
    assert np.isnan(roc_auc(np.array([1, 1]), np.array([.2, .3])))
    assert log_loss(np.array([0, 1]), np.array([[.5, .5], [.2, .8]])) == \
        pytest.approx(-(np.log(.5) + np.log(.8)) / 2)
    true = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]])
    pred = np.array([[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert mean_f1(true, pred) == pytest.approx((2 / 3 + 1 + 1) / 3)
    assert rmse(np.array([1., 3.]), np.array([2., 1.])) == pytest.approx(np.sqrt(2.5))
    ranked = np.array([["a", "b", "c"], ["b", "c", "a"], ["c", "b", "b"]])
    assert map_at_k(np.array(["a", "a", "a"]), ranked, 3) == pytest.approx((1 + 1 / 3 + 0) / 3)


def frame(**columns):
    return pd.DataFrame({k: [str(x) for x in v] for k, v in columns.items()})


@pytest.mark.parametrize("task, values, message", [
    (LabelTask(classes=("a", "b"), value_columns=("y",)), frame(y=["a", "c"]),
     r"labels that are not the competition's classes: 'c' \(1 rows\)"),
    (BinaryProbabilityTask(classes=(0, 1), value_columns=("y",)), frame(y=[0.2, 1.5]),
     r"1 probabilities outside \[0, 1\], e.g. row 1: 1.5"),
    (BinaryProbabilityTask(classes=(0, 1), value_columns=("y",)), frame(y=[0.2, "x"]),
     r"1 probabilities are not numbers, e.g. row 1: 'x'"),
    (ClassProbabilitiesTask(classes=("a", "b"), value_columns=("b", "a")),
     frame(b=[0.5, 0.7], a=[0.5, 0.2]), r"1 rows do not sum to 1, e.g. row 1 sums to 0.9"),
    (MultiLabelTask(classes=("x", "y"), value_columns=("t",)), frame(t=["x y", "z"]),
     r"tag 'z' \(row 1\) is not one of the 2 tags"),
    (RegressionTask(value_columns=("v",)), frame(v=[1.5, "inf"]), r"1 values are not numbers"),
    (TopKTask(classes=("a", "b", "c"), value_columns=("y",), top_k=2), frame(y=["a b", "a a"]),
     r"row 1 holds 'a a'; expected 2 different classes"),
])
def test_each_task_refuses_values_it_would_not_write(task, values, message):
    with pytest.raises(TaskShapeError, match=message):
        task.check_values(values, "submission")


def test_writers_turn_model_outputs_into_the_tasks_values():
    p = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
    label = LabelTask(classes=(3, 7, 9), value_columns=("y",))
    assert list(label.submission_values(p, {})["y"]) == ["7", "3"]
    probabilities = ClassProbabilitiesTask(classes=("a", "b", "c"), value_columns=("c", "a", "b"))
    written = probabilities.submission_values(p, {})
    assert list(written) == ["c", "a", "b"] and written["c"][0] == pytest.approx(0.2)
    top = TopKTask(classes=("a", "b", "c"), value_columns=("y",), top_k=2)
    assert list(top.submission_values(p, {})["y"]) == ["b c", "a b"]
    tags = MultiLabelTask(classes=("x", "y", "z"), value_columns=("t",))
    # every tag at or above the threshold, and at least the most likely one
    assert list(tags.submission_values(p, {"threshold": 0.25})["t"]) == ["y", "x y"]
    binary = BinaryProbabilityTask(classes=("cat", "dog"), value_columns=("y",))
    assert binary.positive == "dog" and binary.submission_values(p[:, :1], {})["y"][1] == 0.5


def test_the_multi_label_threshold_maximises_validation_f1():
    tags = MultiLabelTask(classes=("x", "y"), value_columns=("t",))
    true = np.array([[1, 1], [1, 0], [0, 1]])
    p = np.array([[0.9, 0.35], [0.8, 0.3], [0.2, 0.4]])
    threshold = tags.calibrate(true, p)["threshold"]
    assert 0.3 < threshold <= 0.35
    assert tags.validation_scores(true, p, {"threshold": threshold})["val_mean_f1"] == 1.0


def test_priors_are_the_training_sets_frequencies_or_mean():
    assert LabelTask(classes=("a", "b", "c")).prior(np.array([0, 2, 2, 2])).tolist() == \
        [.25, 0, .75]
    assert BinaryProbabilityTask(classes=(0, 1)).prior(np.array([0, 1, 1, 1])).tolist() == [.75]
    assert MultiLabelTask(classes=("x", "y")).prior(np.array([[1, 0], [1, 1]])).tolist() == \
        [1, .5]
    assert RegressionTask().prior(np.array([1., 2., 6.])).tolist() == [3.]


def test_the_regression_head_learns_standardised_values():
    head = RegressionTask().head(np.array([10., 20., 30.]))
    assert (head.units, head.activation) == (1, "linear")
    assert head.offset == 20 and head.scale == pytest.approx(np.std([10, 20, 30]))


def test_monitors_follow_the_task():
    assert resolve_monitor("auto", BinaryProbabilityTask(classes=(0, 1))) == "val_auc"
    assert resolve_monitor("auto", RegressionTask()) == "val_rmse"
    assert monitor_mode("val_auc") == "max" and monitor_mode("val_rmse") == "min"
    assert monitor_mode("val_top_k_accuracy") == "max" and monitor_mode("val_loss") == "min"
    with pytest.raises(ValueError, match=r"monitor = 'val_rmse': a label task reports "
                                         r"val_accuracy, val_loss"):
        resolve_monitor("val_rmse", LabelTask(classes=("a", "b")))
