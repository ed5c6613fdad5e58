"""``TrainChoices``: what the plan decided for the train kernels, baked into their assignment.

A plain record, free of Keras, the model registry and the task kinds, so the assignment module
(which every kernel carries) can hold it; ``shared.training.settings`` makes it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["TrainChoices"]


@dataclass(frozen=True)
class TrainChoices:
    """``[train]``'s ``auto`` values as decided for one plan (see the module docstring)."""

    model: str
    backend: str
    augment: str
    lr_schedule: str
    learning_rate: float
    monitor: str  # without the val_ prefix when nothing is held out
    tta: str = "none"
    validation: bool = True  # rows are held out (a hold-out, or the fold)

    def describe(self) -> str:
        """One line for the plan."""
        return (f"train {self.model} on {self.backend}: augment {self.augment}, "
                f"{self.lr_schedule} learning rate {self.learning_rate:g}, best epoch by "
                f"{self.monitor}" + (f", tta {self.tta}" if self.tta != "none" else ""))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TrainChoices":
        return cls(**data)
