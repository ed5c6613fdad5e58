"""One training session: shards in, ``submission.csv`` + model + reports out.

``run_training`` is what ``kernels/train.py`` calls with ``input_root()`` and
``working_dir()``. It reads as its three steps:

1. ``prepare`` (``shared.training.session``): validate the shards against the plan and the
   competition's sample submission, pick the devices, resolve the settings, continue a
   previous run when its ``train_state.json`` is mounted, build the sequences and the model;
2. ``fit``: ``model.fit`` on the ShardedSequence with ``shuffle=False``, checkpointing every
   epoch and stopping before the time limit (a preset's backbone: one ``fit`` per phase of
   its fine-tuning, ``shared.training.fine_tune``);
3. ``finish``: with the best checkpoint, score the validation rows, predict the test split,
   write the submission, ``metrics.json`` and the reports.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import keras

from shared.assignment import TrainAssignment
from shared.runtime_info import runtime_info
from shared.training.callbacks import (EpochRecorder, EpochSeeds, ResourceReport,
                                       ResumableEarlyStopping, TimeLimitReached, WallClockGuard)
from shared.training.fine_tune import enter_phase, phase_stops
from shared.training.outputs import OUTPUT_NAMES, write_metrics, write_outputs
from shared.training.resources import take_snapshot
from shared.training.session import Session, prepare
from shared.training.state import STATE_NAME, TrainState

__all__ = ["TrainOutcome", "run_training", "fit", "finish"]


@dataclass(frozen=True)
class TrainOutcome:
    """What a session produced: its output folder, the final state and the metrics."""

    out_dir: Path
    state: TrainState
    metrics: dict

    @property
    def submission(self) -> Path:
        return self.out_dir / OUTPUT_NAMES["submission"]


def _fit_epochs(session: Session, guard: WallClockGuard, verbose: int) -> TrainState:
    train, state, data = session.config.train, session.state, session.data
    callbacks: list[keras.callbacks.Callback] = [guard, EpochSeeds(session.settings.loader.seed)]
    stopper = None
    if train.early_stopping_patience:
        stopper = ResumableEarlyStopping(
            state.monitor, train.early_stopping_patience, best=state.best_value,
            wait=state.epochs_completed - state.best_epoch if state.best_epoch else 0)
        callbacks.append(stopper)
    recorder = EpochRecorder(session.out_dir, state, guard=guard)
    callbacks += [recorder, ResourceReport(session.out_dir, epochs=train.epochs)]
    try:
        for stop in phase_stops(session.settings.choices, train.epochs):
            start = recorder.state.epochs_completed
            if start >= stop:
                continue
            enter_phase(session.model, session.settings.choices, start, task=session.task,
                        steps_per_epoch=data.train.steps_per_epoch, epochs=train.epochs,
                        steps_per_execution=session.settings.steps_per_execution)
            data.train.restart_at(start)  # each fit counts the sequence's batches from 0
            session.model.fit(data.train, steps_per_epoch=data.train.steps_per_epoch,
                              epochs=stop, initial_epoch=start, shuffle=False,
                              validation_data=data.validation, callbacks=callbacks,
                              verbose=verbose)
            if session.model.stop_training:  # the time limit, or early stopping
                break
            if stopper is not None:
                stopper.carry_over()
    except TimeLimitReached as cut:
        # nothing of the cut epoch was validated or committed: the next session repeats it
        print(f"epoch {recorder.state.epochs_completed + 1} discarded: {cut}", flush=True)
        return replace(recorder.state, stop_reason="time_limit")
    state = recorder.state
    if stopper is not None and stopper.triggered:
        reason = "early_stopping"
    elif state.epochs_completed >= train.epochs:
        reason = "completed"
    else:
        reason = "time_limit"
    return replace(state, stop_reason=reason)


def fit(session: Session, guard: WallClockGuard, verbose: int = 2) -> TrainState:
    """Train the epochs still to do (none after early stopping); the state, saved."""
    state, train = session.state, session.config.train
    if state.stop_reason != "early_stopping" and session.start_epoch < train.epochs:
        state = _fit_epochs(session, guard, verbose)
    elif state.stop_reason != "early_stopping":
        state = replace(state, stop_reason="completed")
    state.save(session.out_dir)
    if not state.best_checkpoint:
        raise RuntimeError(
            f"the time limit ([train] time_limit_hours: "
            f"{session.assignment.choices.time_limit_hours:g} h) was "
            "reached before the first epoch finished: nothing to predict with. Raise the limit "
            "or lower the data per epoch")
    if state.stop_reason == "time_limit":
        print(f"stopped by the time limit after {state.epochs_completed} of "
              f"{train.epochs} epochs; to continue, run it again with this output "
              "attached as an input (scripts/push.py --continue-training does that)", flush=True)
    return state


def finish(session: Session, state: TrainState, guard: WallClockGuard) -> dict:
    """Score, predict and write every output with the best checkpoint; the metrics."""
    out_dir, settings, data = session.out_dir, session.settings, session.data
    with session.placement.scope():
        best = keras.models.load_model(out_dir / state.best_checkpoint)
    session_epochs = state.epochs_completed - session.start_epoch
    epoch_seconds = sum(guard.epoch_seconds)
    summary = {
        **settings.summary(), "epochs_this_session": session_epochs,
        "resumed_from_epoch": session.start_epoch if session.resumed else None,
        "sessions": state.sessions,
        "samples_per_s": round(session_epochs * data.train.steps_per_epoch
                               * settings.global_batch / epoch_seconds, 1)
        if epoch_seconds else None,
        "train_seconds_total": round(state.train_seconds, 2),
        "source_fingerprint": session.source_fingerprint,
        **({"preset_dir": str(session.preset_dir)} if session.preset_dir else {}),
        "runtime": runtime_info(),
    }
    return write_outputs(out_dir=out_dir, model=best,
                         best_checkpoint=out_dir / state.best_checkpoint, data=data,
                         fmt=session.fmt, state=state, summary=summary,
                         tta=settings.choices.tta, fold=session.assignment.fold)


def run_training(assignment: TrainAssignment, input_dir: str | Path, out_dir: str | Path, *,
                 started_at: float | None = None, clock: Callable[[], float] = time.monotonic,
                 verbose: int = 2) -> TrainOutcome:
    """Train (or continue training) and write every output into ``out_dir``.

    ``started_at`` is when the session began on ``clock`` (default: now); the wall-clock
    guard counts ``[train] time_limit_hours`` (as the plan resolved it for the machine:
    ``TrainChoices.time_limit_hours``) from there.
    """
    started = clock() if started_at is None else started_at
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    session = prepare(assignment, input_dir, out_dir)
    guard = WallClockGuard(assignment.choices.time_limit_hours * 3600, started_at=started,
                           clock=clock)
    state = fit(session, guard, verbose)
    metrics = finish(session, state, guard)
    metrics.update(peak_rss_bytes=take_snapshot(out_dir).peak_rss,
                   wall_seconds=round(clock() - started, 2))
    write_metrics(out_dir, metrics)
    score = f"val_{session.task.metric}"
    print(f"done: {state.stop_reason}, {state.epochs_completed} epochs, {score} "
          f"{metrics.get(score)}, outputs in {out_dir} ({STATE_NAME} to resume)", flush=True)
    return TrainOutcome(out_dir=out_dir, state=state, metrics=metrics)
