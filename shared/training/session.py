"""Preparing one training session: everything ``fit`` needs, checked before it starts.

``prepare`` discovers and validates the shards, reads the competition's sample submission and
checks that the test shards follow it (and that not too many test rows lack an image), picks
the devices, resolves the settings (``shared.training.settings``), finds a previous run to
continue, builds the sequences and the model (a fresh one behind its uint8 input, or the
previous run's checkpoint), all before the first batch. A model built on a Kaggle Models
preset finds the mounted preset first (``shared.training.fine_tune``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import keras

from shared.assignment import TrainAssignment
from shared.fallback import FallbackRows
from shared.kaggle_paths import find_competition_dir
from shared.models import build_model
from shared.models.presets import enable_preset_loading
from shared.store import ShardSet, ShardSetError
from shared.submission import SubmissionFormat
from shared.tasks import Task, task_for
from shared.training.augment import make_augment
from shared.training.backend import check_backend
from shared.training.callbacks import HISTORY_NAME, write_history_csv
from shared.training.device_input import prepare_model, set_steps_per_execution
from shared.training.fine_tune import build_fine_tune_model, mounted_preset
from shared.training.sequences import TrainingData, build_training_data
from shared.training.settings import ResolvedSettings, resolve_settings
from shared.training.state import TrainState, copy_atomic, find_resume_state
from shared.training.steps import resolve_steps_per_execution
from shared.training.strategy import Placement, select_placement

__all__ = ["Session", "prepare", "learning_rate"]


@dataclass(frozen=True)
class Session:
    """One training session, ready to fit (see the module docstring)."""

    assignment: TrainAssignment
    out_dir: Path
    task: Task
    fmt: SubmissionFormat | None  # None in a code competition: the inference kernel writes it
    settings: ResolvedSettings
    placement: Placement
    data: TrainingData
    state: TrainState  # where training stands: fresh, or continued from a previous session
    resumed: bool
    model: keras.Model
    source_fingerprint: str
    preset_dir: Path | None = None  # the mounted preset the model is built on, if any

    @property
    def config(self):
        return self.assignment.config

    @property
    def start_epoch(self) -> int:
        return self.state.epochs_completed


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
    if "test" not in spec.split_rows and not assignment.source.test_at_inference:
        raise ShardSetError(f"the shards under {shards.root} hold no test split: nothing to "
                            "predict for submission.csv")


def _sample(input_dir: Path, assignment: TrainAssignment, shards: ShardSet,
            task: Task) -> SubmissionFormat:
    """The competition's sample submission, which the test shards must follow, and not too
    many test rows without an image: checked before training."""
    layout = assignment.source
    competition = find_competition_dir(input_dir, assignment.competition, layout.sample_submission)
    fmt = SubmissionFormat.read(competition / layout.sample_submission, id_column=layout.id_column,
                                task=task)
    test = shards.split("test")
    fmt.check_test_split(test.source_rows(), test.ids(), shards.spec.split_rows["test"])
    FallbackRows.from_rejects(shards.rejects, len(fmt)).check(
        assignment.config.competition.max_fallback_fraction,
        outcome="training did not start and no submission.csv was written")
    return fmt


def learning_rate(settings: ResolvedSettings, steps_per_epoch: int) -> Any:
    """The rate, or its cosine decay over the planned epochs."""
    rate = settings.choices.learning_rate
    if settings.choices.lr_schedule == "constant":
        return rate
    return keras.optimizers.schedules.CosineDecay(
        rate, decay_steps=settings.epochs * steps_per_epoch, alpha=0.01)


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


def _data(shards: ShardSet, settings: ResolvedSettings, assignment: TrainAssignment,
          task: Task, start_epoch: int) -> TrainingData:
    config = assignment.config
    data = build_training_data(shards, settings.loader, global_batch=settings.global_batch,
                               replicas=settings.replicas, start_epoch=start_epoch, task=task,
                               augment=make_augment(settings.choices.augment,
                                                    shards.spec.sample_shape),
                               fold=assignment.fold, folds=config.train.folds)
    if settings.choices.validation and data.validation is None:
        per_replica = (f" (at least {settings.replicas} are needed, one per replica)"
                       if settings.replicas > 1 else "")
        raise ValueError(f"[loader] validation_fraction = {config.loader.validation_fraction} "
                         f"holds out no row of {len(data.train_targets)}{per_replica}: raise "
                         "it, or set it to 0 to train without validation")
    return data


def _model(settings: ResolvedSettings, placement: Placement, data: TrainingData, task: Task,
           state: TrainState, resumed: bool, out_dir: Path, seed: int,
           preset_dir: Path | None) -> keras.Model:
    shape = data.spec.sample_shape
    choices = settings.choices
    if choices.preset is not None:
        enable_preset_loading()  # keras_hub's layers and ours, before a checkpoint is read
    with placement.scope():
        if resumed:
            return keras.models.load_model(out_dir / state.checkpoint)
        if choices.preset is not None:
            return build_fine_tune_model(choices, shape, task, data.train_targets,
                                         folder=preset_dir, seed=seed, epochs=settings.epochs,
                                         steps_per_epoch=data.train.steps_per_epoch)
        model = build_model(settings.choices.model, shape, task.head(data.train_targets),
                            loss=task.loss(), metrics=task.metrics(), seed=seed,
                            learning_rate=learning_rate(settings, data.train.steps_per_epoch))
        return prepare_model(model, sample_shape=shape,
                             normalization=settings.loader.normalization,
                             output=settings.loader.output)


def prepare(assignment: TrainAssignment, input_dir: Path, out_dir: Path) -> Session:
    """Everything a session needs before its first batch (see the module docstring)."""
    config = assignment.config
    choices = assignment.choices
    check_backend(choices.backend)
    shards = ShardSet.discover(input_dir, verify=config.store.verify)
    _check_against_assignment(shards, assignment)
    layout = assignment.source
    task = task_for(layout)
    fmt = None if layout.test_at_inference else _sample(input_dir, assignment, shards, task)

    placement = select_placement(config.train.distribute,
                                 mixed_precision=config.train.mixed_precision,
                                 accelerator=choices.accelerator)
    print(f"device: {placement.describe()}", flush=True)
    settings = resolve_settings(choices, config, placement)
    fingerprint = shards.manifests[0][1].source_fingerprint
    key = settings.resume_key(shards.spec, task=task.name, source_fingerprint=fingerprint,
                              fold=assignment.fold, folds=config.train.folds)
    state, resumed = _start_state(input_dir, out_dir, key, choices.monitor)
    data = _data(shards, settings, assignment, task, state.epochs_completed)
    preset_dir = mounted_preset(choices.preset, input_dir) if choices.preset else None
    model = _model(settings, placement, data, task, state, resumed, out_dir,
                   settings.loader.seed, preset_dir)
    settings = settings.with_steps(resolve_steps_per_execution(
        config.train.steps_per_execution, model, global_batch=settings.global_batch,
        steps_per_epoch=data.train.steps_per_epoch, accelerator=placement.accelerator,
        tpu=choices.accelerator == "tpu", replicas=settings.replicas))
    set_steps_per_execution(model, settings.steps_per_execution)
    print(f"settings: {settings.describe()}", flush=True)
    return Session(assignment=assignment, out_dir=out_dir, task=task, fmt=fmt,
                   settings=settings, placement=placement, data=data, state=state,
                   resumed=resumed, model=model, source_fingerprint=fingerprint,
                   preset_dir=preset_dir)
