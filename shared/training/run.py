"""One training session: shards in, ``submission.csv`` + model + reports out.

``run_training`` is what ``kernels/train.py`` calls with ``input_root()`` and
``working_dir()``:

1. discover and validate every manifest under the input root; read the competition's
   ``sample_submission.csv`` and check that the test shards follow it, before any training;
2. choose the devices (MirroredStrategy or DataParallel on 2+ GPUs) and precision on the
   Keras backend of ``[train] backend``;
3. continue a previous run when its ``train_state.json`` is mounted among the inputs,
   otherwise build a fresh model (shape and classes from the manifests), behind its uint8
   input and normalisation layer with ``[loader] output = "uint8"`` (``device_input``);
4. ``fit`` on the ShardedSequence with ``shuffle=False``, checkpointing every epoch and
   stopping before the time limit;
5. with the best checkpoint: score the validation rows, predict the test split, write the
   submission, ``metrics.json`` and the reports.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import keras

from shared.assignment import TrainAssignment
from shared.config import PipelineConfig
from shared.data.normalization import Normalization
from shared.data.options import ShuffleOptions
from shared.fallback import FallbackRows
from shared.kaggle_paths import find_competition_dir
from shared.model import build_model
from shared.runtime_info import runtime_info
from shared.store import DatasetSpec, ShardSet, ShardSetError
from shared.submission import SubmissionFormat
from shared.tasks import resolve_monitor, task_for
from shared.training.augment import make_augment
from shared.training.backend import check_backend
from shared.training.callbacks import (HISTORY_NAME, EpochRecorder, EpochSeeds, ResourceReport,
                                       ResumableEarlyStopping, TimeLimitReached, WallClockGuard,
                                       write_history_csv)
from shared.training.device_input import prepare_model, set_steps_per_execution
from shared.training.outputs import OUTPUT_NAMES, write_metrics, write_outputs
from shared.training.resources import take_snapshot
from shared.training.sequences import TrainingData, build_training_data
from shared.training.state import STATE_NAME, TrainState, copy_atomic, find_resume_state
from shared.training.steps import resolve_steps_per_execution
from shared.training.strategy import Placement, select_placement

__all__ = ["TrainOutcome", "run_training", "resolve_schedule"]


@dataclass(frozen=True)
class TrainOutcome:
    """What a session produced: its output folder, the final state and the metrics."""

    out_dir: Path
    state: TrainState
    metrics: dict[str, Any]

    @property
    def submission(self) -> Path:
        return self.out_dir / OUTPUT_NAMES["submission"]


def resolve_schedule(schedule: str, model: str) -> str:
    """``auto`` means constant for the article's model and cosine for the better one."""
    if schedule == "auto":
        return "constant" if model == "article" else "cosine"
    return schedule


def _check_against_assignment(shards: ShardSet, assignment: TrainAssignment) -> None:
    spec, planned = shards.spec, assignment.spec
    for name in ("sample_shape", "classes", "targets", "task"):
        if getattr(spec, name) != getattr(planned, name):
            raise ShardSetError(
                f"the shards under {shards.root} have {name} {getattr(spec, name)!r}, the train "
                f"kernel was built for {getattr(planned, name)!r}: re-run the planner and push "
                "the preprocessing and train kernels together")
    found = {m.source_fingerprint for _, m in shards.manifests}
    if assignment.source_fingerprint and found != {assignment.source_fingerprint}:
        raise ShardSetError(
            f"the shards under {shards.root} were made from competition data with fingerprint "
            f"{', '.join(sorted(found))}, this train kernel expects "
            f"{assignment.source_fingerprint}: re-run the preprocessing kernels")
    if "test" not in spec.split_rows:
        raise ShardSetError(f"the shards under {shards.root} hold no test split: nothing to "
                            "predict for submission.csv")


def _resume_key(config: PipelineConfig, spec: DatasetSpec, global_batch: int, *,
                augment: str, schedule: str, monitor: str, fingerprint: str) -> dict[str, Any]:
    """What decides the data order and the model: a resumed run must share all of it. The
    loader's part is its options objects, whole, so a new option joins the key by itself."""
    train = config.train
    key = {"model": train.model, "augment": augment, "lr_schedule": schedule,
           "learning_rate": train.learning_rate, "monitor": monitor,
           "global_batch": global_batch,
           "shuffle": _plain(ShuffleOptions.from_config(config.loader)),
           "normalization": _plain(Normalization.from_config(config.loader)),
           "loader_output": config.loader.output,
           "validation_fraction": config.loader.validation_fraction,
           "sample_shape": list(spec.sample_shape), "classes": list(spec.classes),
           "train_rows": spec.split_rows["train"], "source_fingerprint": fingerprint}
    if schedule == "cosine":  # the decay spans the planned epochs
        key["epochs"] = train.epochs
    return key


def _plain(options: Any) -> dict[str, Any]:
    """An options dataclass as JSON values (tuples as lists), as ``train_state.json`` holds it."""
    return json.loads(json.dumps(dataclasses.asdict(options)))


def _learning_rate(config: PipelineConfig, schedule: str, steps_per_epoch: int):
    rate = config.train.learning_rate
    if schedule == "constant":
        return rate
    return keras.optimizers.schedules.CosineDecay(
        rate, decay_steps=config.train.epochs * steps_per_epoch, alpha=0.01)


def _start_state(input_dir: Path, out_dir: Path, key: dict[str, Any], monitor: str
                 ) -> tuple[TrainState, bool]:
    """The previous run's state (its files copied into ``out_dir``), or a fresh one."""
    found = find_resume_state(input_dir)
    if found is None:
        return TrainState(key=key, monitor=monitor), False
    path, state = found
    state.check_key(key, path.parent)
    if path.parent.resolve() != out_dir.resolve():
        for name in {state.checkpoint, state.best_checkpoint} - {""}:
            copy_atomic(path.parent / name, out_dir / name)
    state = replace(state, sessions=state.sessions + 1)
    write_history_csv(state.history, out_dir / HISTORY_NAME)
    state.save(out_dir)
    print(f"resuming from {path}: {state.epochs_completed} epochs done "
          f"(best {state.monitor} {state.best_value} at epoch {state.best_epoch})", flush=True)
    return state, True


def _fit(model: keras.Model, data: TrainingData, config: PipelineConfig, state: TrainState,
         out_dir: Path, guard: WallClockGuard, verbose: int) -> TrainState:
    train = config.train
    callbacks: list[keras.callbacks.Callback] = [guard, EpochSeeds(config.loader.seed)]
    stopper = None
    if train.early_stopping_patience:
        stopper = ResumableEarlyStopping(
            state.monitor, train.early_stopping_patience, best=state.best_value,
            wait=state.epochs_completed - state.best_epoch if state.best_epoch else 0)
        callbacks.append(stopper)
    recorder = EpochRecorder(out_dir, state, guard=guard)
    callbacks += [recorder, ResourceReport(out_dir, epochs=train.epochs)]
    try:
        model.fit(data.train, steps_per_epoch=data.train.steps_per_epoch, epochs=train.epochs,
                  initial_epoch=state.epochs_completed, shuffle=False,
                  validation_data=data.validation, callbacks=callbacks, verbose=verbose)
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


def run_training(assignment: TrainAssignment, input_dir: str | Path, out_dir: str | Path, *,
                 started_at: float | None = None, clock: Callable[[], float] = time.monotonic,
                 verbose: int = 2) -> TrainOutcome:
    """Train (or continue training) and write every output into ``out_dir``.

    ``started_at`` is when the session began on ``clock`` (default: now); the wall-clock
    guard counts ``[train] time_limit_hours`` from there.
    """
    started = clock() if started_at is None else started_at
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = assignment.config
    check_backend(config.train.backend)
    shards = ShardSet.discover(input_dir, verify=config.store.verify)
    _check_against_assignment(shards, assignment)
    layout = assignment.source
    competition = find_competition_dir(input_dir, assignment.competition, layout.sample_submission)
    task = task_for(layout)
    fmt = SubmissionFormat.read(competition / layout.sample_submission, id_column=layout.id_column,
                                task=task)
    test = shards.split("test")
    fmt.check_test_split(test.source_rows(), test.ids(), shards.spec.split_rows["test"])
    FallbackRows.from_rejects(shards.rejects, len(fmt)).check(
        config.competition.max_fallback_fraction,
        outcome="training did not start and no submission.csv was written")

    placement: Placement = select_placement(config.train.distribute,
                                            mixed_precision=config.train.mixed_precision)
    print(f"device: {placement.describe()}", flush=True)
    global_batch = placement.global_batch(config.loader.batch_size)
    augment = config.train.augment_mode
    schedule = resolve_schedule(config.train.lr_schedule, config.train.model)
    folds = config.train.folds
    with_validation = config.loader.validation_fraction > 0 or folds > 1
    monitor = resolve_monitor(config.train.monitor, task)
    monitor = monitor if with_validation else monitor[len("val_"):]
    fingerprint = shards.manifests[0][1].source_fingerprint
    key = _resume_key(config, shards.spec, global_batch, augment=augment, schedule=schedule,
                      monitor=monitor, fingerprint=fingerprint) | {"task": task.name}
    if folds > 1:
        key |= {"fold": assignment.fold, "folds": folds}
    state, resumed = _start_state(input_dir, out_dir, key, monitor)
    start_epoch = state.epochs_completed
    data = build_training_data(shards, config.loader, global_batch=global_batch,
                               replicas=placement.replicas, start_epoch=start_epoch, task=task,
                               augment=make_augment(augment, shards.spec.sample_shape),
                               fold=assignment.fold, folds=folds)
    if with_validation and data.validation is None:
        per_replica = (f" (at least {placement.replicas} are needed, one per replica)"
                       if placement.replicas > 1 else "")
        raise ValueError(f"[loader] validation_fraction = {config.loader.validation_fraction} "
                         f"holds out no row of {len(data.train_targets)}{per_replica}: raise "
                         "it, or set it to 0 to train without validation")

    guard = WallClockGuard(config.train.time_limit_hours * 3600, started_at=started, clock=clock)
    with placement.scope():
        if resumed:
            model = keras.models.load_model(out_dir / state.checkpoint)
        else:
            model = build_model(config.train.model, shards.spec.sample_shape,
                                task.head(data.train_targets), loss=task.loss(),
                                metrics=task.metrics(),
                                learning_rate=_learning_rate(config, schedule,
                                                             data.train.steps_per_epoch),
                                seed=config.loader.seed)
            model = prepare_model(model, sample_shape=shards.spec.sample_shape,
                                  normalization=Normalization.from_config(config.loader),
                                  output=config.loader.output)
    steps_per_execution = resolve_steps_per_execution(
        config.train.steps_per_execution, model, global_batch=global_batch,
        steps_per_epoch=data.train.steps_per_epoch, accelerator=placement.accelerator)
    set_steps_per_execution(model, steps_per_execution)
    if state.stop_reason != "early_stopping" and start_epoch < config.train.epochs:
        state = _fit(model, data, config, state, out_dir, guard, verbose)
    elif state.stop_reason != "early_stopping":
        state = replace(state, stop_reason="completed")
    state.save(out_dir)
    if not state.best_checkpoint:
        raise RuntimeError(
            f"the time limit ([train] time_limit_hours = {config.train.time_limit_hours}) was "
            "reached before the first epoch finished: nothing to predict with. Raise the limit "
            "or lower the data per epoch")
    if state.stop_reason == "time_limit":
        print(f"stopped by the time limit after {state.epochs_completed} of "
              f"{config.train.epochs} epochs; to continue, run it again with this output "
              "attached as an input (scripts/push.py --continue-training does that)", flush=True)

    with placement.scope():
        best = keras.models.load_model(out_dir / state.best_checkpoint)
    session_epochs = state.epochs_completed - start_epoch
    epoch_seconds = sum(guard.epoch_seconds)
    summary = {
        "model": config.train.model, "augment": augment, "lr_schedule": schedule,
        "epochs_planned": config.train.epochs, "epochs_this_session": session_epochs,
        "resumed_from_epoch": start_epoch if resumed else None, "sessions": state.sessions,
        "backend": placement.backend, "devices": list(placement.devices),
        "replicas": placement.replicas, "precision": placement.precision,
        "steps_per_execution": steps_per_execution, "global_batch": global_batch,
        "samples_per_s": round(session_epochs * data.train.steps_per_epoch * global_batch
                               / epoch_seconds, 1) if epoch_seconds else None,
        "train_seconds_total": round(state.train_seconds, 2),
        "source_fingerprint": fingerprint,
        "runtime": runtime_info(),
    }
    metrics = write_outputs(out_dir=out_dir, model=best,
                            best_checkpoint=out_dir / state.best_checkpoint, data=data,
                            loader=config.loader, fmt=fmt, state=state, summary=summary,
                            tta=config.train.tta, fold=assignment.fold)
    metrics.update(peak_rss_bytes=take_snapshot(out_dir).peak_rss,
                   wall_seconds=round(clock() - started, 2))
    write_metrics(out_dir, metrics)
    score = f"val_{task.metric}"
    print(f"done: {state.stop_reason}, {state.epochs_completed} epochs, {score} "
          f"{metrics.get(score)}, outputs in {out_dir} ({STATE_NAME} to resume)", flush=True)
    return TrainOutcome(out_dir=out_dir, state=state, metrics=metrics)
