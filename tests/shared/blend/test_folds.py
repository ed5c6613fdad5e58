"""K folds: the deterministic assignment, the plan, and the blend's checks of the fold outputs."""

import json

import numpy as np
import pandas as pd
import pytest

from competitions import image_folder
from host.planning import make_plan
from shared.blend.folds import FoldSetError, collect_folds
from host.settings import HostConfig
from shared.data.order import kfold
from shared.fold_files import FOLD_RECORD, write_fold_predictions

KERNELS = ("c-train-fold-0", "c-train-fold-1", "c-train-fold-2")


def test_kfold_puts_every_sample_in_one_fold_deterministically():
    labels = np.repeat(np.arange(4), [30, 20, 7, 3])
    folds = kfold(60, 3, seed=5, labels=labels)
    assert folds.shape == (60,) and set(folds) == {0, 1, 2}
    np.testing.assert_array_equal(folds, kfold(60, 3, seed=5, labels=labels))
    assert not np.array_equal(folds, kfold(60, 3, seed=6, labels=labels))
    assert np.ptp(np.bincount(folds)) <= 1
    for k in range(4):  # each class spread over the folds, one apart at most
        assert np.ptp(np.bincount(folds[labels == k], minlength=3)) <= 1
    random = kfold(61, 4, seed=0)
    assert np.ptp(np.bincount(random)) <= 1
    with pytest.raises(ValueError, match="3 samples cannot fill 4 folds"):
        kfold(3, 4, seed=0)
    with pytest.raises(ValueError, match="folds = 1: expected an integer >= 2"):
        kfold(10, 1, seed=0)


def test_a_plan_with_folds_has_a_kernel_per_fold_and_a_blend(tmp_path, fmnist):
    root = image_folder(tmp_path / "c", fmnist, 60, 10)
    config = HostConfig().replace(competition={"slug": "c", "data_dir": str(root)},
                                      train={"folds": 3})
    plan = make_plan(config)
    assert [a.kernel for a in plan.trains] == list(KERNELS)
    assert [a.fold for a in plan.trains] == [0, 1, 2]
    assert plan.blend.kernel == "c-blend" and plan.blend.sources == KERNELS
    assert plan.final is plan.blend
    assert "the 3 fold kernels (c-train-fold-0 .. c-train-fold-2)" in plan.table()
    with pytest.raises(ValueError, match="this plan trains 3 folds: use .trains and .blend"):
        plan.train
    single = make_plan(config.replace(train={"folds": 1}))
    assert single.train.kernel == "c-train" and single.blend is None
    small = image_folder(tmp_path / "small", fmnist, 30, 10)
    with pytest.raises(ValueError, match=r"\[train\] folds = 20 needs at least 40 train rows "
                                         r"\(two per fold\), the data has 30"):
        make_plan(config.replace(competition={"data_dir": str(small)}, train={"folds": 20}))


def write_folds(root, *, folds=3, n=30, test_ids=("a", "b"), skip=(), changes=None):
    """Synthetic fold outputs of a label task with two classes, as fold kernels write them."""
    assignment = kfold(n, folds, seed=0)
    targets = np.arange(n) % 2
    for k in range(folds):
        if k in skip:
            continue
        rows = np.flatnonzero(assignment == k)
        record = {"fold": k, "folds": folds, "task": "label", "source_fingerprint": "fp",
                  "train_samples": n, "test_rows": len(test_ids), "stop_reason": "completed",
                  "tta": "none", "score": {}, "fallback": {"rows": 0}}
        record.update((changes or {}).get(k, {}))
        probabilities = np.eye(2)[targets[rows]] * 0.8 + 0.1
        write_fold_predictions(root / KERNELS[k], arrays={
            "oof": probabilities, "oof_rows": rows, "oof_targets": targets[rows],
            "test": np.full((len(test_ids), 2), 0.5), "test_ids": np.asarray(test_ids),
            "assignment": assignment}, record=record)
    return root


def collect(root, test_ids=("a", "b")):
    return collect_folds(root, folds=3, kernels=KERNELS, source_fingerprint="fp",
                         test_ids=np.asarray(test_ids))


def test_a_complete_set_of_folds_gives_every_train_row_one_oof_prediction(tmp_path):
    folds = collect(write_folds(tmp_path))
    oof, targets = folds.oof()
    assert oof.shape == (30, 2) and (oof.argmax(axis=1) == targets).all()
    assert [f.fold for f in folds.folds] == [0, 1, 2]


@pytest.mark.parametrize("skip, changes, message", [
    ((1,), {}, r"fold 1 \(c-train-fold-1\): no output under .* \(2 of 3 folds found\)"),
    ((), {2: {"stop_reason": "time_limit"}},
     r"fold 2 \(c-train-fold-2\) did not finish its training \(stop_reason 'time_limit'\): "
     r"continue it"),
    ((), {1: {"source_fingerprint": "other"}},
     r"fold 1 \(c-train-fold-1\) differs from fold 0 \(c-train-fold-0\) in source_fingerprint"),
    ((), {k: {"source_fingerprint": "other"} for k in range(3)},
     r"fold 0 \(c-train-fold-0\) was trained on data with fingerprint 'other'"),
])
def test_an_incomplete_or_mixed_set_is_refused_naming_the_fold(tmp_path, skip, changes,
                                                               message):
    root = write_folds(tmp_path, skip=skip, changes=changes)
    with pytest.raises(FoldSetError, match=message):
        collect(root)


def test_other_test_ids_and_a_fold_mounted_twice_are_refused(tmp_path):
    root = write_folds(tmp_path / "a")
    with pytest.raises(FoldSetError, match=r"fold 0 \(c-train-fold-0\) predicted other test "
                                           r"ids than sample_submission.csv lists"):
        collect(root, test_ids=("b", "a"))
    twice = write_folds(tmp_path / "b")
    write_folds(tmp_path / "b" / "copy")
    with pytest.raises(FoldSetError, match=r"fold 0 \(c-train-fold-0\) is mounted twice"):
        collect(twice)


def test_a_fold_whose_rows_do_not_follow_the_assignment_is_refused(tmp_path):
    root = write_folds(tmp_path)
    record = json.loads((root / KERNELS[1] / FOLD_RECORD).read_text())
    np.save(root / KERNELS[1] / "oof_rows.npy", np.array([0, 1, 2]))
    (root / KERNELS[1] / FOLD_RECORD).write_text(json.dumps(record))
    with pytest.raises(FoldSetError, match=r"fold 1 \(c-train-fold-1\) validated 3 rows, not "
                                           r"the 10 its fold assignment gives it"):
        collect(root)


def test_flip_tta_averages_the_mirrored_prediction(tmp_path, fmnist):
    import keras

    from shard_fixtures import make_spec, write_output
    from shared.config import LoaderConfig
    from shared.data.options import LoaderOptions
    from shared.store import RowRange, ShardSet
    from shared.training.outputs import predict_rows
    from shared.training.sequences import prediction_sequence

    write_output(tmp_path, make_spec(40), [RowRange("train", 0, 40)], fmnist)
    split = ShardSet.discover(tmp_path).split("train")
    loader = LoaderOptions.from_config(LoaderConfig(output="float32"))
    sequence = prediction_sequence(split, loader, 16)
    inputs = keras.Input((28, 28, 1))  # the mean of the left half: flipping changes it
    model = keras.Model(inputs, keras.ops.mean(inputs[:, :, :14], axis=(1, 2)))
    x = fmnist["x_train"][:40].astype(np.float32) / 255
    plain = predict_rows(model, sequence)
    flipped = predict_rows(model, sequence, tta="flip")
    np.testing.assert_allclose(plain[:, 0], x[:, :, :14].mean(axis=(1, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(flipped[:, 0], x.mean(axis=(1, 2, 3)), rtol=1e-5)
    assert pd.Series(flipped[:, 0]).nunique() > 1


def test_a_mirror_that_makes_the_hold_out_worse_is_reported(capsys):
    from shared.tasks.label import LabelTask
    from shared.training.outputs import _tta_effect

    task = LabelTask(classes=(0, 1), value_columns=("label",))
    true = np.array([0, 1, 1, 0])
    right = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    mirrored = right[:, ::-1]  # what a model that never saw a mirror makes of one
    mean = (right + mirrored) / 2  # every row 0.5 / 0.5: right for 2 rows of 4
    scores = task.validation_scores(true, mean, task.calibrate(true, mean))
    assert _tta_effect(task, true, [right, mirrored], scores) == {"val_accuracy_without_tta": 1.0}
    assert ("warning: tta = flip made val_accuracy worse on the validation rows (1.0000 without "
            "it, 0.5000 with it)") in capsys.readouterr().err
    assert _tta_effect(task, true, [right, right], {"val_accuracy": 1.0}) == {
        "val_accuracy_without_tta": 1.0}
    assert capsys.readouterr().err == ""
    assert _tta_effect(task, true, [right], scores) == {}  # no TTA: nothing to compare
