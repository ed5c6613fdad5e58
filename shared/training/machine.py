"""The machine a plan trains on, as the runtime needs to know it: ``TargetMachine``.

Kaggle's machine shapes (names, chips, memory, which are retired) are host knowledge
(``host.machine_shapes``); the planner hands ``choose_training`` the few facts that decide
the ``auto`` training settings, as a ``TargetMachine``, so the runtime never imports host code.
Without one (tests, benchmarks, an assignment built by hand) the plan is for a GPU, as with
the default shape, T4 x2.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.checks import check_choice, check_int, check_number
from shared.choices import ACCELERATORS

__all__ = ["TargetMachine", "DEFAULT_MACHINE", "GPU_SESSION_HOURS", "TPU_SESSION_HOURS"]

GPU_SESSION_HOURS = 12.0  # Kaggle ends a GPU (or CPU) session after 12 h
TPU_SESSION_HOURS = 9.0  # and a TPU session after 9 h


@dataclass(frozen=True)
class TargetMachine:
    """What a train kernel runs on: the shape's name, GPU or TPU, its devices, how long a
    session may last."""

    shape: str = ""  # Kaggle's machine_shape, e.g. "TpuV5E8"; "" = not named
    accelerator: str = "gpu"  # gpu | tpu
    chips: int = 0  # GPUs or TPU chips of the shape; 0 = unknown
    session_hours: float = GPU_SESSION_HOURS

    def __post_init__(self) -> None:
        check_choice("TargetMachine.accelerator", self.accelerator, ACCELERATORS)
        check_int("TargetMachine.chips", self.chips, minimum=0)
        check_number("TargetMachine.session_hours", self.session_hours, above=1.0,
                     at_most=GPU_SESSION_HOURS)

    @property
    def tpu(self) -> bool:
        return self.accelerator == "tpu"

    @property
    def name(self) -> str:
        """The shape's name, or what it is when it has none."""
        return self.shape or f"a {self.accelerator.upper()}"


DEFAULT_MACHINE = TargetMachine()
