"""What the plan decided about a pretrained backbone: ``PresetChoice``.

With ``[train] model`` naming a Kaggle Models preset, the planner reads the preset's local
copy (its backbone class, parameter count, input size and image converter), takes the
pretrained family's defaults and the ``[train]`` settings, and bakes the result into every
train kernel (``TrainChoices.preset``). The kernel builds exactly this: it finds the mounted
preset by ``handle`` and checks that it is the one planned. This module imports nothing
heavy: every kernel role carries it with the assignment.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from shared.checks import check_choice, check_int, check_mean_std, check_number
from shared.choices import WEIGHT_SOURCES

__all__ = ["PresetChoice"]


@dataclass(frozen=True)
class PresetChoice:
    """One preset as the train kernels build and fine-tune it."""

    handle: str  # owner/model/framework/variation/version on Kaggle Models
    family: str  # the pretrained family of shared.models that builds it
    backbone: str  # its keras_hub class, e.g. ResNetBackbone
    parameters: int  # the backbone's parameter count (0: the preset does not say)
    image_size: tuple[int, int]  # what the shards store and the backbone reads
    fixed_size: bool  # the backbone takes this size only (a ViT's position embeddings)
    channels: int  # what the backbone reads: gray images are repeated to 3 on the device
    mean: tuple[float, ...]  # x = (pixel / 255 - mean) / std, per channel
    std: tuple[float, ...]
    normalization: str  # where mean and std come from (the converter, or [loader])
    weights: str  # pretrained: the preset's; random: its architecture only ([train] weights)
    pooling: str  # avg or class_token
    dropout: float  # before the head
    head_epochs: int  # epochs with the backbone frozen (the head alone trains)
    fine_tune_rate: float  # every layer's peak rate after them
    warmup_epochs: float  # the linear warm-up to that rate
    weight_decay: float  # AdamW's, in both phases
    freeze_batchnorm: bool  # the backbone runs with training=False: BN keeps its statistics

    def __post_init__(self) -> None:
        for name in ("image_size", "mean", "std"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        check_choice("PresetChoice.weights", self.weights, WEIGHT_SOURCES)
        check_int("PresetChoice.head_epochs", self.head_epochs, minimum=0)
        check_int("PresetChoice.channels", self.channels)
        check_number("PresetChoice.fine_tune_rate", self.fine_tune_rate, above=0.0)
        check_mean_std(self.mean, self.std, prefix="PresetChoice.")
        if len(self.image_size) != 2 or min(self.image_size) < 1:
            raise ValueError(f"PresetChoice.image_size = {self.image_size}: expected "
                             "(height, width)")

    @property
    def pretrained(self) -> bool:
        return self.weights == "pretrained"

    def describe(self) -> str:
        """Lines for the plan: the backbone, its size and weights, and how it is trained."""
        height, width = self.image_size
        where = (f"Kaggle Models {self.handle}" if self.pretrained else
                 f"random initialisation ([train] weights), the architecture of {self.handle}")
        count = f"{self.parameters:,} parameters" if self.parameters else "parameters unknown"
        mean = ", ".join(f"{v:.4g}" for v in self.mean)
        std = ", ".join(f"{v:.4g}" for v in self.std)
        head = (f"the head alone for {self.head_epochs} epoch(s) with the backbone frozen, then "
                if self.head_epochs else "")
        return "\n".join((
            f"backbone {self.backbone} ({count}; {self.family}), input {height}x{width}x"
            f"{self.channels}{' (fixed)' if self.fixed_size else ''}; weights: {where}",
            f"normalisation (pixel / 255 - [{mean}]) / [{std}] from {self.normalization}, on "
            "the device",
            f"fine-tune: {head}every layer at {self.fine_tune_rate:g} after a "
            f"{self.warmup_epochs:g}-epoch warm-up; AdamW weight decay {self.weight_decay:g}; "
            f"{self.pooling} pooling, dropout {self.dropout:g}; batch norm "
            + ("keeps its pretrained statistics" if self.freeze_batchnorm else "trains")))

    def key(self) -> dict[str, Any]:
        """What decides the model: a resumed run must share all of it."""
        return {name: list(v) if isinstance(v, tuple) else v
                for name, v in dataclasses.asdict(self).items() if name != "parameters"}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "PresetChoice":
        return cls(**data)
