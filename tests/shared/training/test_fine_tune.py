"""The train kernel on a Kaggle Models preset, in this process: the preset's weights are loaded,
then fine-tuned (the head first, the backbone frozen), and a resumed run finds the same preset
and continues exactly as an uninterrupted one, across the switch of phases too."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np
import pandas as pd
import pytest

from preset_fixtures import HANDLE, mount, save_backbone
from shared.models.presets import enable_preset_loading, read_preset
from shared.tasks import task_for
from shared.training import run_training
from shared.training.callbacks import WallClockGuard
from shared.training.preset_settings import choose_preset
from shared.training.run import fit
from shared.training.session import prepare
from shared.training.settings import choose_training
from shared.training.state import STATE_NAME, TrainState, checkpoint_name
from test_training_run import ClockJumpingOnceFileExists, attach
from train_fixtures import make_assignment, make_input_root

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def preset_folder(tmp_path_factory):
    return save_backbone(tmp_path_factory.mktemp("kagglehub"), HANDLE, seed=7)


@pytest.fixture(scope="module")
def input_root(tmp_path_factory, fmnist, preset_folder):
    """Shards of 600 + 100 real images, the competition, and the preset mounted."""
    root = make_input_root(tmp_path_factory.mktemp("kaggle") / "input", fmnist)
    mount(preset_folder, root)
    return root


def preset_assignment(folder, **train):
    base = make_assignment(train={k: v for k, v in train.items() if k == "epochs"})
    config = base.config.replace(train={"model": HANDLE, **train})
    preset = choose_preset(config, HANDLE, read_preset(folder))
    return dataclasses.replace(base, config=config,
                               choices=choose_training(config, task_for(base.source), preset=preset))


def conv_kernel(model):
    backbone = model.get_layer("backbone").backbone
    return next(w for w in backbone.weights if w.path == "conv1_conv/kernel").numpy().copy()


def test_the_presets_weights_are_loaded_then_fine_tuned(preset_folder, input_root, tmp_path):
    backbone = enable_preset_loading().models.Backbone.from_preset(str(preset_folder))
    reference = next(w for w in backbone.weights if w.path == "conv1_conv/kernel").numpy()
    (tmp_path / "out").mkdir()
    session = prepare(preset_assignment(preset_folder, epochs=2), input_root, tmp_path / "out")
    np.testing.assert_array_equal(conv_kernel(session.model), reference)
    assert session.preset_dir == input_root.joinpath("models", *HANDLE.split("/"))
    state = fit(session, WallClockGuard(3600), verbose=0)
    assert state.epochs_completed == 2
    assert not np.allclose(conv_kernel(session.model), reference)  # every layer trained
    history = pd.read_csv(tmp_path / "out" / "history.csv")
    rates = history["learning_rate"].tolist()
    assert rates[0] == pytest.approx(1e-3)  # the head's rate, then the warm-up's start
    assert rates[1] < 1e-4


def last_weights(folder):
    enable_preset_loading()
    state = TrainState.load(folder / STATE_NAME)
    return keras.models.load_model(folder / state.checkpoint).get_weights()


def resumable_assignment(folder):
    return preset_assignment(folder, epochs=3, head_epochs=1, time_limit_hours=1.0)


@pytest.fixture(scope="module")
def straight(preset_folder, input_root, tmp_path_factory):
    """The uninterrupted run both resumed runs must end up equal to (trained once)."""
    out = tmp_path_factory.mktemp("straight")
    return out, run_training(resumable_assignment(preset_folder), input_root, out, verbose=0)


@pytest.mark.parametrize("first", [1, 2], ids=["resumed at the switch", "resumed after it"])
def test_a_resumed_run_loads_the_same_preset_and_continues_as_one_run(
        preset_folder, input_root, straight, tmp_path, first):
    assignment = resumable_assignment(preset_folder)
    straight_dir, straight = straight
    # the first session is cut by the time limit in epoch first + 1 (the clock jumps 2 h once
    # epoch first's checkpoint is written): it ends with ``first`` epochs done
    clock = ClockJumpingOnceFileExists(tmp_path / "first" / checkpoint_name(first), jump=7200)
    cut = run_training(assignment, input_root, tmp_path / "first", clock=clock, verbose=0)
    assert cut.state.epochs_completed == first and cut.metrics["stop_reason"] == "time_limit"
    resumed = run_training(assignment, attach(tmp_path, input_root, tmp_path / "first"),
                           tmp_path / "second", verbose=0)
    assert resumed.metrics["resumed_from_epoch"] == first
    for outcome in (straight, resumed):
        assert outcome.metrics["preset"]["handle"] == HANDLE
        assert outcome.metrics["preset_dir"].endswith("/models/" + HANDLE)
    for a, b in zip(last_weights(straight_dir), last_weights(tmp_path / "second")):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
