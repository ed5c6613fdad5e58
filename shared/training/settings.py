"""What every ``auto`` training setting means, decided once, here.

Two steps, one module:

- ``choose_training(config, task, machine)`` runs when the plan is made (on the user's
  machine, no Keras): the model family, the Keras backend, the augmentation, the learning-rate
  schedule and rate, the monitored metric, test-time augmentation and the time limit, from
  ``[train]``, the task, the family's spec (``shared.models``) and the machine the kernels run
  on (``TargetMachine``, from ``[kaggle] machine_shape``: a TPU trains on JAX, in bfloat16,
  over every chip). The planner bakes the resulting ``TrainChoices`` into each train kernel's
  assignment and prints them; a setting that cannot work is refused there, before any kernel
  runs (``check_train_settings`` refuses what it can when the config is read). With
  ``[train] model`` naming a Kaggle Models preset, what the preset means
  (``shared.training.preset_settings.choose_preset``) comes in as ``preset``.
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
from shared.training.machine import DEFAULT_MACHINE, TargetMachine

if TYPE_CHECKING:
    from shared.config import PipelineConfig
    from shared.store.manifest import DatasetSpec
    from shared.training.strategy import Placement

__all__ = ["TrainChoices", "TargetMachine", "ResolvedSettings", "check_train_settings",
           "choose_training", "fit_batch", "infer_choices", "resolve_settings"]


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


def _backend(config: "PipelineConfig", machine: TargetMachine) -> str:
    """``[train] backend``: ``auto`` is JAX on a TPU (Kaggle's TPU image has JAX for the
    chips, and only the CPU build of TensorFlow), TensorFlow elsewhere."""
    backend = config.train.backend
    if backend == AUTO:
        return "jax" if machine.tpu else "tensorflow"
    if machine.tpu and backend != "jax":
        raise ValueError(
            f'[train] backend = "{backend}" with [kaggle] machine_shape = "{machine.shape}" '
            "(a TPU): Kaggle's TPU image has TensorFlow's CPU build only (tensorflow-cpu), "
            'which cannot reach the chips; expected "jax" or "auto" (JAX on a TPU). Set '
            '[train] backend = "auto", or choose a GPU machine_shape')
    return backend


def _time_limit(config: "PipelineConfig", machine: TargetMachine) -> float:
    """``[train] time_limit_hours``: ``auto`` stops an hour before the machine's sessions
    end; a number past that end is refused (Kaggle would kill the session mid-epoch)."""
    hours = config.train.time_limit_hours
    if hours == AUTO:
        return machine.session_hours - 1.0
    if hours > machine.session_hours:
        raise ValueError(
            f"[train] time_limit_hours = {hours:g} on {machine.name}: Kaggle ends its sessions "
            f"after {machine.session_hours:g} h, before this limit could stop training "
            f'cleanly; expected at most {machine.session_hours:g}. Set it to "auto" (an hour '
            "before the end) or lower it")
    return float(hours)


def _check_precision(config: "PipelineConfig", machine: TargetMachine) -> None:
    if machine.tpu and config.train.mixed_precision == "float16":
        raise ValueError(
            f'[train] mixed_precision = "float16" with [kaggle] machine_shape = '
            f'"{machine.shape}" (a TPU): TPUs compute in bfloat16, not float16; expected '
            '"auto" or "bfloat16" (or "off"). Set [train] mixed_precision = "auto"')


def check_train_settings(config: "PipelineConfig",
                         machine: TargetMachine = DEFAULT_MACHINE) -> None:
    """What can be refused before the data is read: an unknown model family, a pretrained
    family named instead of a preset, preset settings without a preset, mirror TTA on a model
    that never sees a mirror, a setting the machine cannot run (TensorFlow or float16 on a
    TPU, a time limit past its sessions) (ValueError naming the setting and the fix)."""
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
    _backend(config, machine)
    _time_limit(config, machine)
    _check_precision(config, machine)


def _check_side(spec, sample_shape: tuple[int, ...]) -> None:
    """ValueError when the images are smaller than the model can take (``spec.min_side``)."""
    if not sample_shape or min(sample_shape[:2]) >= spec.min_side:
        return
    height, width = sample_shape[:2]
    raise ValueError(
        f"the images are stored at {height}x{width}, and the {spec.name} model "
        f"{spec.min_side_reason or 'needs larger images'}, so each side must be at least "
        f"{spec.min_side} pixels: set [source] image_size = [{max(height, spec.min_side)}, "
        f"{max(width, spec.min_side)}] (or larger) to resize them up, or choose another "
        "[train] model")


def fit_batch(batch_size: int, train_rows: int, replicas: int = 1) -> int:
    """The per-replica batch: ``batch_size``, lowered to the largest whose global batch
    (``x replicas``) still makes a full batch of ``train_rows``; unchanged when the rows are
    not known (0)."""
    if not train_rows or batch_size * replicas <= train_rows:
        return batch_size
    return max(1, train_rows // replicas)


def choose_training(config: "PipelineConfig", task: Task,
                    machine: TargetMachine = DEFAULT_MACHINE, *, train_rows: int = 0,
                    sample_shape: tuple[int, ...] = (),
                    preset: PresetChoice | None = None) -> TrainChoices:
    """The plan-time choices for ``config``'s ``[train]``, ``task`` and the ``machine`` the
    kernels run on (ValueError for a setting that cannot work: an unknown model, a monitor the
    task does not report, mirror TTA without mirror training, what the machine cannot run,
    images smaller than the model's minimum side). With the ``train_rows`` the model trains
    on, the batch is lowered to fit them (one replica: the train kernel lowers it again on
    more); ``preset``: what the preset ``[train] model`` names means for this plan."""
    train = config.train
    check_train_settings(config, machine)
    spec = model_spec(train.model, preset.backbone if preset is not None else "")
    if spec.pretrained and preset is None:
        raise ValueError(f"[train] model = {train.model!r} names a Kaggle Models preset: the "
                         "planner (host.planning.make_plan) reads its local copy first")
    _check_side(spec, sample_shape)
    validation = config.loader.validation_fraction > 0 or train.folds > 1
    monitor = resolve_monitor(train.monitor, task)
    return TrainChoices(
        model=preset.handle if preset is not None else spec.name, preset=preset,
        backend=_backend(config, machine), augment=_augment(config, spec.augment),
        lr_schedule=spec.lr_schedule if train.lr_schedule == AUTO else train.lr_schedule,
        learning_rate=spec.learning_rate if train.learning_rate == AUTO
        else float(train.learning_rate),
        monitor=monitor if validation else monitor[len("val_"):], tta=train.tta,
        validation=validation, batch_size=fit_batch(config.loader.batch_size, train_rows),
        train_rows=train_rows, machine_shape=machine.shape, accelerator=machine.accelerator,
        chips=machine.chips, time_limit_hours=_time_limit(config, machine))


def infer_choices(choices: TrainChoices) -> TrainChoices:
    """What a code competition's inference kernel runs with: the training's choices, on one
    GPU (or the CPU) whatever the training ran on. A TPU plan's models are read by TensorFlow
    there (Keras' model files are the same for every backend; the GPU image's JAX may lack
    CUDA); the test-time augmentation stays."""
    if not choices.accelerator == "tpu":
        return choices
    return dataclasses.replace(choices, backend="tensorflow", accelerator="gpu", chips=1,
                               machine_shape="")


@dataclass(frozen=True)
class ResolvedSettings:
    """Every setting one train kernel runs with, on the devices it found."""

    choices: TrainChoices
    loader: LoaderOptions
    epochs: int
    precision: str  # the Keras dtype policy: float32, mixed_float16, mixed_bfloat16
    devices: tuple[str, ...]
    replicas: int
    global_batch: int  # [loader] batch_size (as the plan lowered it) x replicas
    steps_per_execution: int = 0  # 0 until ``with_steps`` saw the model
    batch_note: str = ""  # why the global batch is smaller than planned, if it is

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
                "machine_shape": c.machine_shape, "accelerator": c.accelerator,
                "backend": c.backend, "devices": list(self.devices), "replicas": self.replicas,
                "precision": self.precision, "steps_per_execution": self.steps_per_execution,
                "global_batch": self.global_batch,
                **({"preset": dataclasses.asdict(c.preset)} if c.preset is not None else {})}

    def describe(self) -> str:
        """One line for the log."""
        c = self.choices
        machine = f" as on {c.machine_shape}" if c.machine_shape else ""
        return (f"{c.model} on {len(self.devices)} device(s){machine}, {self.replicas} "
                f"replica(s), {self.precision}, {c.backend}; global batch {self.global_batch}, "
                f"{self.steps_per_execution or '?'} step(s) per call; augment {c.augment}, "
                f"{c.lr_schedule} rate {c.learning_rate:g}, monitor {c.monitor}"
                + (f", tta {c.tta}" if c.tta != "none" else "")
                + (f"; {self.batch_note}" if self.batch_note else "")
                + (f"; {c.preset.backbone} ({c.preset.weights} weights), "
                   f"{c.preset.head_epochs} head epoch(s) then every layer at "
                   f"{c.preset.fine_tune_rate:g}" if c.preset is not None else ""))


def resolve_settings(choices: TrainChoices, config: "PipelineConfig",
                     placement: "Placement") -> ResolvedSettings:
    """The run-time settings on ``placement``'s devices (steps per call: ``with_steps``); the
    global batch is lowered when the planned training rows make no full batch of it."""
    planned = choices.batch_size or config.loader.batch_size
    per_replica = fit_batch(planned, choices.train_rows, placement.replicas)
    note = "" if per_replica == planned else (
        f"batch {planned} per replica lowered to {per_replica}: {choices.train_rows} "
        f"training rows on {placement.replicas} replicas make no full global batch of "
        f"{planned * placement.replicas}")
    return ResolvedSettings(
        choices=choices, loader=LoaderOptions.from_config(config.loader),
        epochs=config.train.epochs, precision=placement.precision,
        devices=tuple(placement.devices), replicas=placement.replicas,
        global_batch=placement.global_batch(per_replica), batch_note=note)
