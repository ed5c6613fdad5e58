"""What every ``auto`` training setting means, decided once, here.

Two steps, one module:

- ``choose_training(config, task)`` runs when the plan is made (on the user's machine, no
  Keras): the model family, the Keras backend, the augmentation, the learning-rate schedule and
  rate, the monitored metric and test-time augmentation, from ``[train]``, the task and the
  family's spec (``shared.models``). The planner bakes the resulting ``TrainChoices`` into each
  train kernel's assignment and prints them; a setting that cannot work is refused there,
  before any kernel runs. With ``[train] model`` naming a Kaggle Models preset, what the
  preset means (``shared.training.preset_settings.choose_preset``) comes in as ``preset``.
- ``resolve_settings(choices, config, placement)`` runs in the train kernel once the devices
  are known: the precision, the replicas and the global batch, then (``with_steps``) the
  batches per compiled call for the built model. ``metrics.json``, the resume key and the
  log's summary are all read off the resulting ``ResolvedSettings``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shared.choices import AUTO
from shared.data.options import LoaderOptions
from shared.models import model_spec, names_a_preset
from shared.preset_choice import PresetChoice
from shared.tasks import Task, resolve_monitor
from shared.assignment import TrainChoices

if TYPE_CHECKING:
    from shared.config import PipelineConfig
    from shared.store.manifest import DatasetSpec
    from shared.training.strategy import Placement

__all__ = ["TrainChoices", "ResolvedSettings", "check_train_settings", "choose_training",
           "resolve_settings"]


def _augment(config: "PipelineConfig", default: str) -> str:
    """``[train] augment``, with mirror TTA refused for a model that never sees a mirror.

    Mirror TTA averages in predictions of images unlike any the model learned: on
    Fashion-MNIST, whose shoes all point one way, that cost the article CNN's 5-fold blend 4
    points (0.9297 to 0.8901) with no error anywhere."""
    train = config.train
    augment = default if train.augment == AUTO else train.augment
    if train.tta == "flip" and "flip" not in augment:
        auto = (f' (that is "{augment}" for model = "{train.model}")'
                if train.augment == AUTO else "")
        raise ValueError(
            f'[train] tta = "flip" with augment = "{train.augment}"{auto}: mirror TTA '
            "averages each prediction with that of the left-right mirror, which this model "
            'never sees in training; expected augment = "flip" or "flip_shift" with it. '
            "On Fashion-MNIST (its shoes all point one way) it cut the 5-fold blend from "
            '0.9297 to 0.8901. Set [train] augment = "flip" (or "flip_shift"), or tta = '
            '"none"')
    return augment


def check_train_settings(config: "PipelineConfig") -> None:
    """What can be refused before the data is read: an unknown model family, a pretrained
    family named instead of a preset, preset settings without a preset, mirror TTA on a model
    that never sees a mirror (ValueError naming the setting and the fix)."""
    train = config.train
    spec = model_spec(train.model)
    if spec.pretrained and not names_a_preset(train.model):
        raise ValueError(f"[train] model = {train.model!r} is the pretrained family that "
                         "fine-tunes keras_hub backbones: name one of its presets instead, by "
                         "its Kaggle Models handle (docs/pretrained.md)")
    if not spec.pretrained:
        preset_only = {"weights": "pretrained", "head_epochs": AUTO, "freeze_batchnorm": AUTO}
        for name, default in preset_only.items():
            if getattr(train, name) != default:
                raise ValueError(f"[train] {name} = {getattr(train, name)!r} applies to a "
                                 f"Kaggle Models preset; model = {train.model!r} is trained "
                                 f"from scratch: remove it (or set it to {default!r})")
    _augment(config, spec.augment)


def choose_training(config: "PipelineConfig", task: Task,
                    preset: PresetChoice | None = None) -> TrainChoices:
    """The plan-time choices for ``config``'s ``[train]`` and ``task`` (ValueError for a
    setting that cannot work: an unknown model, a monitor the task does not report, mirror
    TTA without mirror training); ``preset``: what the preset ``[train] model`` names means
    for this plan."""
    train = config.train
    check_train_settings(config)
    spec = model_spec(train.model, preset.backbone if preset is not None else "")
    if spec.pretrained and preset is None:
        raise ValueError(f"[train] model = {train.model!r} names a Kaggle Models preset: the "
                         "planner (host.planning.make_plan) reads its local copy first")
    validation = config.loader.validation_fraction > 0 or train.folds > 1
    monitor = resolve_monitor(train.monitor, task)
    return TrainChoices(
        model=preset.handle if preset is not None else spec.name, preset=preset,
        backend=train.backend, augment=_augment(config, spec.augment),
        lr_schedule=spec.lr_schedule if train.lr_schedule == AUTO else train.lr_schedule,
        learning_rate=spec.learning_rate if train.learning_rate == AUTO
        else float(train.learning_rate),
        monitor=monitor if validation else monitor[len("val_"):], tta=train.tta,
        validation=validation)


@dataclass(frozen=True)
class ResolvedSettings:
    """Every setting one train kernel runs with, on the devices it found."""

    choices: TrainChoices
    loader: LoaderOptions
    epochs: int
    precision: str  # the Keras dtype policy: float32, mixed_float16, mixed_bfloat16
    devices: tuple[str, ...]
    replicas: int
    global_batch: int  # [loader] batch_size x replicas
    steps_per_execution: int = 0  # 0 until ``with_steps`` saw the model

    def with_steps(self, steps: int) -> "ResolvedSettings":
        return dataclasses.replace(self, steps_per_execution=int(steps))

    def resume_key(self, spec: "DatasetSpec", *, task: str, source_fingerprint: str,
                   fold: int = 0, folds: int = 1) -> dict[str, Any]:
        """What decides the data order and the model: a resumed run must share all of it
        (the devices and the batches per call may differ; the global batch may not)."""
        c = self.choices
        key = {"model": c.model, "augment": c.augment, "lr_schedule": c.lr_schedule,
               "learning_rate": c.learning_rate, "monitor": c.monitor,
               "global_batch": self.global_batch, **self.loader.key(),
               "sample_shape": list(spec.sample_shape), "classes": list(spec.classes),
               "train_rows": spec.split_rows["train"], "source_fingerprint": source_fingerprint,
               "task": task}
        if c.lr_schedule == "cosine":  # the decay spans the planned epochs
            key["epochs"] = self.epochs
        if folds > 1:
            key |= {"fold": fold, "folds": folds}
        if c.preset is not None:
            key["preset"] = c.preset.key()
        return key

    def summary(self) -> dict[str, Any]:
        """The settings as ``metrics.json`` records them and the log prints them."""
        c = self.choices
        return {"model": c.model, "augment": c.augment, "lr_schedule": c.lr_schedule,
                "learning_rate": c.learning_rate, "epochs_planned": self.epochs,
                "backend": c.backend, "devices": list(self.devices), "replicas": self.replicas,
                "precision": self.precision, "steps_per_execution": self.steps_per_execution,
                "global_batch": self.global_batch,
                **({"preset": dataclasses.asdict(c.preset)} if c.preset is not None else {})}

    def describe(self) -> str:
        """One line for the log."""
        c = self.choices
        return (f"{c.model} on {len(self.devices)} device(s), {self.replicas} replica(s), "
                f"{self.precision}, {c.backend}; global batch {self.global_batch}, "
                f"{self.steps_per_execution or '?'} step(s) per call; augment {c.augment}, "
                f"{c.lr_schedule} rate {c.learning_rate:g}, monitor {c.monitor}"
                + (f", tta {c.tta}" if c.tta != "none" else "")
                + (f"; {c.preset.backbone} ({c.preset.weights} weights), "
                   f"{c.preset.head_epochs} head epoch(s) then every layer at "
                   f"{c.preset.fine_tune_rate:g}" if c.preset is not None else ""))


def resolve_settings(choices: TrainChoices, config: "PipelineConfig",
                     placement: "Placement") -> ResolvedSettings:
    """The run-time settings on ``placement``'s devices (steps per call: ``with_steps``)."""
    return ResolvedSettings(
        choices=choices, loader=LoaderOptions.from_config(config.loader),
        epochs=config.train.epochs, precision=placement.precision,
        devices=tuple(placement.devices), replicas=placement.replicas,
        global_batch=placement.global_batch(config.loader.batch_size))
