"""Fine-tuning a preset's backbone: the model, its two phases and their optimizers.

With ``[train] model`` naming a Kaggle Models preset (``TrainChoices.preset``), the train
kernel finds the mounted preset (``mounted_preset``: it must be the one planned), builds the
model around it (``shared.models.backbone_build``) and trains it in two phases:

1. the head alone, ``head_epochs`` epochs, the backbone frozen, AdamW at the plan's
   ``learning_rate``;
2. every layer, AdamW at ``fine_tune_rate``, reached by a linear warm-up of ``warmup_epochs``
   and then decayed to 1% by a cosine over the remaining epochs (``lr_schedule = "cosine"``)
   or held (``"constant"``).

Both phases decay every trainable weight (AdamW's ``weight_decay``: a variable list excluded from
it would not survive a checkpoint, Keras does not save it) and call the backbone with
``training=False`` unless ``[train] freeze_batchnorm = false``. The fit loop
(``shared.training.run``) fits up to each ``phase_stops`` epoch and calls ``enter_phase``
first: a fresh model, a resumed one and one that finished the head phase all get the
optimizer of the phase they are in, and a checkpoint holds the phase (frozen or not) with its
optimizer, so a resumed run continues as an uninterrupted one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras

from shared.assignment import TrainChoices
from shared.models import build_model, model_spec
from shared.models.backbone_build import BACKBONE_LAYER
from shared.models.presets import find_preset, read_preset
from shared.preset_choice import PresetChoice

__all__ = ["mounted_preset", "build_fine_tune_model", "phase_stops", "enter_phase",
           "head_optimizer", "all_layers_optimizer"]

def mounted_preset(preset: PresetChoice, input_dir: str | Path) -> Path:
    """The mounted copy of ``preset`` under ``input_dir``, checked against the plan."""
    folder = find_preset(preset.handle, input_dir)
    facts = read_preset(folder)
    planned = (preset.backbone, preset.parameters)
    found = (facts.backbone, facts.parameters or preset.parameters)
    if found != planned:
        raise ValueError(f"the preset mounted at {folder} is a {found[0]} of {found[1]:,} "
                         f"parameters; the plan was made for a {planned[0]} of {planned[1]:,}: "
                         "re-run the planner with the same version of the preset")
    print(f"preset: {preset.handle} at {folder} ({preset.weights} weights)", flush=True)
    return folder


def head_optimizer(preset: PresetChoice, learning_rate: float) -> keras.optimizers.Optimizer:
    """The head phase's AdamW."""
    return keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=preset.weight_decay)


def all_layers_optimizer(choices: TrainChoices, steps_per_epoch: int,
                         epochs: int) -> keras.optimizers.Optimizer:
    """The all-layers phase's AdamW: warm-up, then cosine decay or a constant rate."""
    preset = choices.preset
    peak = preset.fine_tune_rate
    warmup = int(round(preset.warmup_epochs * steps_per_epoch))
    steps = max(1, (epochs - preset.head_epochs) * steps_per_epoch - warmup)
    schedule = keras.optimizers.schedules.CosineDecay(
        peak / 100 if warmup else peak, decay_steps=steps,
        alpha=0.01 if choices.lr_schedule == "cosine" else 1.0,
        warmup_target=peak if warmup else None, warmup_steps=warmup)
    return keras.optimizers.AdamW(learning_rate=schedule, weight_decay=preset.weight_decay)


def phase_stops(choices: TrainChoices, epochs: int) -> tuple[int, ...]:
    """The epochs each phase ends at: ``(epochs,)``, or ``(head_epochs, epochs)``."""
    preset = choices.preset
    if preset is None or not 0 < preset.head_epochs < epochs:
        return (epochs,)
    return (preset.head_epochs, epochs)


def _compile(model: keras.Model, optimizer: Any, task: Any, steps_per_execution: int) -> None:
    model.compile(optimizer=optimizer, loss=task.loss(), metrics=list(task.metrics()),
                  steps_per_execution=steps_per_execution)


def enter_phase(model: keras.Model, choices: TrainChoices, epoch: int, *, task: Any,
                steps_per_epoch: int, epochs: int, steps_per_execution: int = 1) -> bool:
    """Before fitting from ``epoch``: a model still in the head phase past its end gets every
    layer unfrozen and the all-layers optimizer (True); anything else stays as it is."""
    preset = choices.preset
    if preset is None or epoch < preset.head_epochs:
        return False
    backbone = model.get_layer(BACKBONE_LAYER)
    if backbone.trainable:
        return False
    backbone.trainable = True
    _compile(model, all_layers_optimizer(choices, steps_per_epoch, epochs), task,
             steps_per_execution)
    print(f"epoch {epoch + 1}: every layer trains from here (backbone unfrozen, AdamW at "
          f"{preset.fine_tune_rate:g} after a warm-up)", flush=True)
    return True


def build_fine_tune_model(choices: TrainChoices, shape: tuple[int, ...], task: Any,
                          targets: Any, *, folder: Path, seed: int, steps_per_epoch: int,
                          epochs: int) -> keras.Model:
    """The fresh model over the mounted preset in ``folder``, compiled for its first phase
    (build it inside the distribution strategy's scope)."""
    preset = choices.preset
    spec = model_spec(choices.model, preset.backbone)
    head_first = preset.head_epochs > 0
    optimizer = (head_optimizer(preset, choices.learning_rate) if head_first
                 else all_layers_optimizer(choices, steps_per_epoch, epochs))
    model = build_model(spec, shape, task.head(targets), loss=task.loss(),
                        metrics=task.metrics(), seed=seed, optimizer=optimizer, preset=preset,
                        folder=folder)
    if head_first:
        model.get_layer(BACKBONE_LAYER).trainable = False
        _compile(model, optimizer, task, 1)
    return model
