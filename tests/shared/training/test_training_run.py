"""run_training end to end on a few hundred real Fashion-MNIST images: outputs, resume,
the wall-clock guard, and clear errors for inputs that do not fit together."""

import json
import shutil
from dataclasses import replace

import keras
import numpy as np
import pandas as pd
import pytest

from shared.store import ShardSetError
from shared.submission import SubmissionError
from shared.training import run_training
from shared.training.state import (STATE_NAME, StateMismatchError, TrainState,
                                   checkpoint_name)
from train_fixtures import CLASSES, COMPETITION, make_assignment, make_input_root, sample_ids

OUTPUTS = {"submission.csv", "model.keras", "history.csv", "metrics.json", "training_curves.png",
           "confusion_matrix.png", STATE_NAME}


@pytest.fixture(scope="module")
def input_root(tmp_path_factory, fmnist):
    return make_input_root(tmp_path_factory.mktemp("kaggle") / "input", fmnist)


def attach(tmp_path, input_root, previous_output):
    """A new input root: the same shards and competition, plus an earlier run's output."""
    root = tmp_path / "input2"
    root.mkdir()
    for child in input_root.iterdir():
        (root / child.name).symlink_to(child)
    shutil.copytree(previous_output, root / "fmnist-train")
    return root


class SteppingClock:
    """A clock that advances ``step`` seconds each time it is read."""

    def __init__(self, step):
        self.now, self.step = 0.0, step

    def __call__(self):
        self.now += self.step
        return self.now


def test_one_epoch_produces_a_valid_submission_model_and_reports(input_root, tmp_path, fmnist):
    out = tmp_path / "working"
    outcome = run_training(make_assignment(), input_root, out, verbose=0)
    assert OUTPUTS <= {p.name for p in out.iterdir()}
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temporaries left
    sub = pd.read_csv(out / "submission.csv", dtype=str)
    assert list(sub.columns) == ["id", "label"] and sub["id"].tolist() == sample_ids(100)
    assert set(sub["label"]) <= set(CLASSES)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_completed"] == 1 and metrics["stop_reason"] == "completed"
    assert metrics["train_samples"] + metrics["val_samples"] == 600
    assert 0.0 <= metrics["val_accuracy"] <= 1.0 and metrics["val_loss"] > 0
    assert metrics["samples_per_s"] > 0 and metrics["wall_seconds"] > 0
    history = pd.read_csv(out / "history.csv")
    assert history["epoch"].tolist() == [1] and {"val_accuracy", "loss"} <= set(history.columns)
    assert metrics["backend"] == "tensorflow" and metrics["precision"] == "float32"
    assert metrics["steps_per_execution"] == 1 and metrics["devices"] == ["/device:CPU:0"]
    model = keras.models.load_model(out / "model.keras")
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 10)
    assert model.inputs[0].dtype == "uint8"  # normalisation is the model's first layer
    # the submission is the saved model's prediction of the raw test pixels, in row order
    probs = model.predict(fmnist["x_test"], verbose=0)
    assert sub["label"].tolist() == [CLASSES[i] for i in probs.argmax(axis=1)]
    assert outcome.state.best_epoch == 1


@pytest.mark.slow
def test_rejected_test_rows_get_the_most_frequent_training_class(tmp_path, fmnist):
    rejects = {("test", 3), ("test", 50)}
    root = make_input_root(tmp_path / "input", fmnist, rejects=rejects)
    out = tmp_path / "working"
    # 2 of 100 rows: allowed by a threshold of 5% (the default 1% refuses them, tested below)
    assignment = make_assignment(competition={"max_fallback_fraction": 0.05})
    metrics = run_training(assignment, root, out, verbose=0).metrics
    counts = np.bincount(fmnist["y_train"][:600], minlength=10)
    # the hold-out is stratified, so the most frequent class survives it
    fallback = CLASSES[int(np.argmax(counts))]
    assert metrics["test_rows_rejected"] == 2 and metrics["fallback_label"] == fallback
    sub = pd.read_csv(out / "submission.csv", dtype=str)
    assert len(sub) == 100 and sub.loc[[3, 50], "label"].tolist() == [fallback, fallback]


def test_more_rejected_test_rows_than_allowed_stop_the_kernel_before_training(tmp_path, fmnist):
    rejects = {("test", row) for row in range(0, 100, 5)}  # 20 of 100 test images unreadable
    root = make_input_root(tmp_path / "input", fmnist, rejects=rejects)
    out = tmp_path / "working"
    with pytest.raises(ValueError, match=r"^20 of 100 test rows \(20\.0%\) have no usable image "
                                         r"\(unreadable image: 20\), e\.g\. ids 'test0', 'test5', "
                                         r"'test10', 'test15', 'test20' and 15 more\. Each would get "
                                         r"the same fallback prediction \(the training set's "
                                         r"prior\), more than \[competition\] "
                                         r"max_fallback_fraction = 0\.01 allows \(1 of 100\), so "
                                         r"training did not start and no submission\.csv was "
                                         r"written\. Fix or replace those images"):
        run_training(make_assignment(), root, out, verbose=0)
    assert not (out / "submission.csv").exists() and not list(out.glob("checkpoint-*"))


@pytest.mark.slow
def test_the_submission_uses_the_sample_submissions_own_column_names(tmp_path, fmnist):
    # as in Digit Recognizer: train.csv's column is "label", sample_submission's "ImageId,Label"
    root = make_input_root(tmp_path / "input", fmnist)
    sample = root / COMPETITION / "sample_submission.csv"
    pd.read_csv(sample, dtype=str).rename(columns={"id": "ImageId", "label": "Label"}).to_csv(
        sample, index=False)
    assignment = make_assignment()
    assignment = replace(assignment, source=replace(assignment.source, id_column="ImageId",
                                                    target_column="Label"))
    assert assignment.source.label_column == "label"
    out = tmp_path / "working"
    run_training(assignment, root, out, verbose=0)
    sub = pd.read_csv(out / "submission.csv", dtype=str)
    assert list(sub.columns) == ["ImageId", "Label"] and sub["ImageId"].tolist() == sample_ids(100)
    assert set(sub["Label"]) <= set(CLASSES)


def last_weights(folder):
    state = TrainState.load(folder / STATE_NAME)
    return keras.models.load_model(folder / state.checkpoint).get_weights()


@pytest.mark.slow
@pytest.mark.parametrize("model", ["article", "better"])
def test_resume_continues_at_the_next_epoch_exactly_as_an_uninterrupted_run(
        input_root, tmp_path, model):
    # better: dropout, batch norm and flips; a constant rate, as the cosine decay would tie
    # the run to its planned epochs
    train = {"model": model, "lr_schedule": "constant"}
    straight = tmp_path / "straight"
    run_training(make_assignment(train={**train, "epochs": 2}), input_root, straight, verbose=0)
    first = tmp_path / "first"
    run_training(make_assignment(train={**train, "epochs": 1}), input_root, first, verbose=0)
    second = tmp_path / "second"
    outcome = run_training(make_assignment(train={**train, "epochs": 2}),
                           attach(tmp_path, input_root, first), second, verbose=0)
    assert outcome.metrics["resumed_from_epoch"] == 1
    assert outcome.metrics["epochs_this_session"] == 1 and outcome.state.sessions == 2
    assert pd.read_csv(second / "history.csv")["epoch"].tolist() == [1, 2]
    # same data order, optimizer state and dropout masks: the weights of two epochs in one go
    for a, b in zip(last_weights(straight), last_weights(second)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_resume_refuses_a_run_made_with_other_settings(input_root, tmp_path):
    first = tmp_path / "first"
    run_training(make_assignment(), input_root, first, verbose=0)
    with pytest.raises(StateMismatchError,
                       match=r"shuffle\.seed: 42 then, 7 now.*restore those settings, or detach"):
        run_training(make_assignment(loader={"seed": 7}, train={"epochs": 2}),
                     attach(tmp_path, input_root, first), tmp_path / "second", verbose=0)


@pytest.mark.slow
def test_wall_clock_guard_stops_between_epochs_and_saves_a_resumable_state(
        input_root, tmp_path):
    # the better model: batch norm, flips and a cosine schedule must survive the resume too
    assignment = make_assignment(train={"model": "better", "epochs": 4, "time_limit_hours": 1.5})
    out = tmp_path / "working"
    # each clock reading is 2 simulated minutes: about 40 minutes per epoch, limit 1.5 h
    outcome = run_training(assignment, input_root, out, clock=SteppingClock(120), verbose=0)
    done = outcome.state.epochs_completed
    assert 1 <= done < 4
    assert outcome.metrics["stop_reason"] == "time_limit"
    state = TrainState.load(out / STATE_NAME)
    assert state.epochs_completed == done and (out / state.checkpoint).is_file()
    assert (out / "submission.csv").is_file()  # outputs are written even when cut short
    resumed = run_training(assignment, attach(tmp_path, input_root, out), tmp_path / "next",
                           verbose=0)
    assert resumed.metrics["resumed_from_epoch"] == done
    assert resumed.state.epochs_completed == 4 and resumed.metrics["stop_reason"] == "completed"
    history = pd.read_csv(tmp_path / "next" / "history.csv")
    assert history["epoch"].tolist() == [1, 2, 3, 4]
    # the optimizer's step count carried over: the cosine decay ends where it was planned to
    rates = history["learning_rate"].to_numpy()
    assert np.all(np.diff(rates) < 0)
    np.testing.assert_allclose(rates[-1], 1e-3 * 0.01, rtol=1e-3)


class ClockJumpingOnceFileExists:
    """One second per reading; from the first reading that finds ``path``, ``jump`` later."""

    def __init__(self, path, jump):
        self.path, self.jump, self.now = path, jump, 0.0

    def __call__(self):
        self.now += 1
        return self.now + (self.jump if self.path.exists() else 0)


@pytest.mark.slow
def test_an_epoch_cut_by_the_time_limit_is_discarded_and_the_next_session_repeats_it(
        input_root, tmp_path, capsys):
    # a learning rate too small to change a prediction: no epoch after the first improves,
    # so early stopping (patience 1) would end the run had the cut epoch been validated
    assignment = make_assignment(train={"epochs": 3, "early_stopping_patience": 1,
                                        "learning_rate": 1e-9, "time_limit_hours": 1.0})
    out = tmp_path / "working"
    # epoch 1 takes seconds; the clock jumps 2 h once epoch 1's checkpoint is written, so the
    # limit passes after epoch 2's first batch
    clock = ClockJumpingOnceFileExists(out / checkpoint_name(1), jump=7200)
    outcome = run_training(assignment, input_root, out, clock=clock, verbose=0)
    printed = capsys.readouterr().out
    assert outcome.metrics["stop_reason"] == "time_limit"
    assert outcome.state.epochs_completed == 1 and outcome.metrics["epochs_this_session"] == 1
    assert "epoch 2 discarded: the time limit of 3600 s passed after batch 1" in printed
    assert "[resources] epoch 1/3" in printed and "[resources] epoch 2/3" not in printed
    assert pd.read_csv(out / "history.csv")["epoch"].tolist() == [1]
    assert TrainState.load(out / STATE_NAME).stop_reason == "time_limit"
    resumed = run_training(assignment, attach(tmp_path, input_root, out), tmp_path / "next",
                           verbose=0)
    assert resumed.metrics["resumed_from_epoch"] == 1
    # epoch 2 is trained in full now, does not improve, and patience 1 ends the run there
    assert resumed.state.epochs_completed == 2
    assert resumed.metrics["stop_reason"] == "early_stopping"
    assert pd.read_csv(tmp_path / "next" / "history.csv")["epoch"].tolist() == [1, 2]


@pytest.mark.slow
def test_time_limit_inside_the_first_epoch_is_a_clear_error(input_root, tmp_path):
    with pytest.raises(RuntimeError, match="reached before the first epoch finished"):
        run_training(make_assignment(train={"time_limit_hours": 1.0}), input_root,
                     tmp_path / "w", clock=SteppingClock(900), verbose=0)


def test_shards_of_another_data_set_are_refused_before_training(input_root, tmp_path):
    assignment = make_assignment()
    other = replace(assignment, spec=replace(assignment.spec, classes=tuple("abcdefghij")))
    with pytest.raises(ShardSetError, match=r"classes .* re-run the planner"):
        run_training(other, input_root, tmp_path / "w", verbose=0)


def test_a_sample_submission_in_another_order_is_refused_before_training(tmp_path, fmnist):
    root = make_input_root(tmp_path / "input", fmnist)
    sample = root / "fashion-mnist-demo" / "sample_submission.csv"
    df = pd.read_csv(sample, dtype=str)
    df.iloc[::-1].to_csv(sample, index=False)
    with pytest.raises(SubmissionError, match=r"row 0 holds id 't0' in the shards and 't99'"):
        run_training(make_assignment(), root, tmp_path / "w", verbose=0)
    assert not (tmp_path / "w" / STATE_NAME).exists()


@pytest.mark.slow
def test_a_finished_run_attached_again_trains_no_further(input_root, tmp_path):
    first = tmp_path / "first"
    run_training(make_assignment(), input_root, first, verbose=0)
    again = run_training(make_assignment(), attach(tmp_path, input_root, first),
                         tmp_path / "again", verbose=0)
    assert again.metrics["epochs_this_session"] == 0
    assert again.metrics["stop_reason"] == "completed"
    assert (tmp_path / "again" / "submission.csv").read_text() == \
        (first / "submission.csv").read_text()
