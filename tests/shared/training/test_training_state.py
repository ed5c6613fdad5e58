"""Resume state discovery, early stopping carried across sessions, device placement."""

import json

import keras
import numpy as np
import pytest

from shared.models import build_model
from shared.training.callbacks import (EpochSeeds, ResumableEarlyStopping, TimeLimitReached,
                                       WallClockGuard, seed_states)
from shared.training.resources import take_snapshot
from shared.training.state import (STATE_NAME, StateMismatchError, TrainState, checkpoint_name,
                                   find_resume_state)
from shared.training.strategy import select_placement


def saved_state(folder, **changes):
    folder.mkdir(parents=True, exist_ok=True)
    state = TrainState(key={"seed": 1, "model": "article"}, epochs_completed=2,
                       checkpoint=checkpoint_name(2), best_checkpoint=checkpoint_name(1),
                       best_value=0.8, best_epoch=1, **changes)
    for name in (state.checkpoint, state.best_checkpoint):
        (folder / name).write_bytes(b"checkpoint")
    state.save(folder)
    return state


def test_state_is_found_at_any_depth_and_round_trips(tmp_path):
    state = saved_state(tmp_path / "notebooks" / "alice" / "train", history=({"epoch": 1},))
    path, found = find_resume_state(tmp_path)
    assert path == tmp_path / "notebooks" / "alice" / "train" / STATE_NAME
    assert found == state
    assert find_resume_state(tmp_path / "notebooks" / "alice" / "train" / "..") is not None


def test_a_state_written_with_the_former_extra_field_still_loads(tmp_path):
    state = saved_state(tmp_path)
    data = json.loads((tmp_path / STATE_NAME).read_text())
    (tmp_path / STATE_NAME).write_text(json.dumps({**data, "extra": {}}))
    assert TrainState.load(tmp_path / STATE_NAME) == state


def test_no_state_means_a_fresh_start(tmp_path):
    assert find_resume_state(tmp_path) is None


def test_two_states_are_ambiguous(tmp_path):
    saved_state(tmp_path / "run-a")
    saved_state(tmp_path / "run-b")
    with pytest.raises(ValueError, match=r"several training states under .*attach only the "
                                         r"output of the run to continue"):
        find_resume_state(tmp_path)


def test_a_state_naming_a_missing_checkpoint_is_incomplete(tmp_path):
    saved_state(tmp_path / "run")
    (tmp_path / "run" / checkpoint_name(1)).unlink()
    with pytest.raises(FileNotFoundError, match=r"names checkpoint-epoch-0001.keras, which is "
                                                r"missing beside it"):
        find_resume_state(tmp_path)


@pytest.mark.parametrize("content, message", [
    ("{not json", r"unreadable training state"),
    (json.dumps({"format": "something-else"}), r"not a training state"),
    (json.dumps({"format": "kaggle-pipeline-train-state", "format_version": 9}),
     r"format_version 9, this code reads 1"),
])
def test_damaged_state_files_are_named(tmp_path, content, message):
    (tmp_path / STATE_NAME).write_text(content)
    with pytest.raises(ValueError, match=message):
        find_resume_state(tmp_path)


def test_key_mismatch_lists_every_difference(tmp_path):
    state = saved_state(tmp_path / "run")
    state.check_key({"seed": 1, "model": "article"}, tmp_path)
    with pytest.raises(StateMismatchError, match=r"seed: 1 then, 2 now; model: 'article' then, "
                                                 r"'better' now"):
        state.check_key({"seed": 2, "model": "better"}, tmp_path)


def tiny_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def test_early_stopping_continues_the_previous_sessions_patience():
    stopper = ResumableEarlyStopping("val_accuracy", patience=3, best=0.9, wait=2)
    stopper.set_model(tiny_model())
    stopper.on_train_begin()
    stopper.on_epoch_end(5, {"val_accuracy": 0.85})  # worse than the restored best
    assert stopper.model.stop_training and stopper.triggered


def test_early_stopping_resets_patience_on_improvement():
    stopper = ResumableEarlyStopping("val_loss", patience=2, best=0.5, wait=1)
    stopper.set_model(tiny_model())
    stopper.on_train_begin()
    stopper.on_epoch_end(3, {"val_loss": 0.4})
    stopper.on_epoch_end(4, {"val_loss": 0.45})
    assert not stopper.model.stop_training and stopper.wait == 1


def test_wall_clock_guard_stops_when_one_more_epoch_would_cross_the_limit():
    now = [0.0]
    guard = WallClockGuard(80, started_at=0.0, clock=lambda: now[0])
    model = tiny_model()
    guard.set_model(model)
    model.stop_training = False
    for epoch, end in enumerate((30, 60)):  # two epochs of 30 s each
        guard.on_epoch_begin(epoch)
        now[0] = end
        guard.on_train_batch_end(0)
        guard.on_epoch_end(epoch)
        assert model.stop_training == (end == 60)  # 60 + 30 would pass 80, 30 + 30 not
    assert guard.epoch_seconds == [30, 30]


def test_wall_clock_guard_cuts_an_epoch_at_the_limit_and_does_not_count_it():
    now = [0.0]
    guard = WallClockGuard(100, started_at=0.0, clock=lambda: now[0])
    guard.set_model(tiny_model())
    guard.on_epoch_begin(0)
    guard.on_train_batch_end(6)
    now[0] = 101
    with pytest.raises(TimeLimitReached, match=r"time limit of 100 s passed after batch 8 "
                                               r"\(101 s elapsed\)"):
        guard.on_train_batch_end(7)
    assert guard.epoch_seconds == []


def seeded_states(model, seed, epoch):
    callback = EpochSeeds(seed)
    callback.set_model(model)
    callback.on_epoch_begin(epoch)
    return [tuple(keras.ops.convert_to_numpy(v).tolist()) for v in seed_states(model)]


def test_epoch_seeds_make_dropout_masks_a_function_of_seed_and_epoch():
    assert seed_states(build_model("article", (28, 28, 1), 10)) == []
    # two models whose dropout layers started from different random seeds
    first, second = (build_model("better", (28, 28, 1), 10, seed=s) for s in (1, 2))
    assert len(seed_states(first)) == 3  # two conv blocks and the dense layer
    states = seeded_states(first, 42, epoch=3)
    assert states == seeded_states(second, 42, epoch=3)
    assert len(set(states)) == 3 and all(step == 0 for _, step in states)
    assert not set(states) & set(seeded_states(first, 42, epoch=4))
    assert not set(states) & set(seeded_states(first, 7, epoch=3))


def test_default_placement_on_cpu_ignores_mixed_precision():
    placement = select_placement("auto", mixed_precision=True)
    assert placement.replicas == 1 and not placement.mirrored
    assert not placement.mixed_precision
    assert keras.mixed_precision.dtype_policy().name == "float32"
    assert placement.global_batch(64) == 64
    with pytest.raises(ValueError, match=r"distribute='tpu': expected one of auto, mirrored"):
        select_placement("tpu")


def test_resource_snapshot_reads_memory_and_disk(tmp_path):
    snap = take_snapshot(tmp_path)
    assert snap.free_disk > 0 and snap.rss and snap.anon and snap.page_cache is not None
    assert snap.rss >= snap.anon
    line = snap.line(tmp_path)
    assert line.startswith("rss ") and "page cache" in line and f"in {tmp_path}" in line
    assert np.isfinite(snap.rss)
