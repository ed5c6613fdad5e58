"""Kaggle's machine shapes (``[kaggle] machine_shape``): the one list, with its sources.

Sources, read 2026-11:

- the valid names: the official client's documentation, ``docs/kernels.md`` of
  Kaggle/kaggle-cli ("Accelerators available as of Feb 2026", commit da20e7b, 2026-01-29),
  which adds that "some of these are only available to participants of specific competitions,
  and some are only available to Kaggle admins" without saying which. No client version
  carries a list of valid names (``request.machine_shape`` is free text);
- the retired names and what they run on now: ``_RETIRED_ACCELERATORS`` of kaggle 2.2.5
  (``kaggle/api/kaggle_api_extended.py``): P100 runs on the default GPU (``NvidiaTeslaT4``),
  TPU v3-8 on the default TPU (``TpuV5E8``), the TPU v2 pods on the CPU;
- sessions: 12 h on a GPU, 9 h on a TPU (Kaggle's notebook documentation).

The devices and memory per shape are the hardware's; where Kaggle does not document the count
(``NvidiaTeslaT4Highmem``, ``NvidiaL4``) the table says what the name suggests and
``docs/accelerators.md`` marks it. ``samples_per_s`` is this project's guess of training
throughput at 224x224x3 (a ResNet-50-sized model, mixed precision) on the whole shape, for
the quota estimate before any run of a kernel (``host.kaggle_api.quota_need``); it errs low,
so the estimate errs high. When Kaggle changes its offer, edit this table and its date.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.checks import check_choice, check_int, check_number
from shared.choices import ACCELERATORS
from shared.training.machine import GPU_SESSION_HOURS, TPU_SESSION_HOURS, TargetMachine

__all__ = ["MachineShape", "SHAPES", "RETIRED", "SOURCE", "machine_shape", "check_shape"]

SOURCE = ("the kaggle client's docs (Kaggle/kaggle-cli docs/kernels.md, Feb 2026) and "
          "kaggle 2.2.5's retired accelerators, read 2026-11")
RESTRICTED = ("the client's docs say some shapes are only for participants of specific "
              "competitions or for Kaggle admins, without naming them; only T4 x2 and TPU "
              "v5e-8, the client's default GPU and TPU, are known open to everyone")


@dataclass(frozen=True)
class MachineShape:
    """One accelerator Kaggle can run a kernel on."""

    name: str  # Kaggle's machine_shape
    accelerator: str  # gpu | tpu
    devices: int  # GPUs or TPU chips one session sees
    device: str  # what each one is
    memory: str  # memory per device
    precision: str  # what [train] mixed_precision = "auto" trains in there
    samples_per_s: float  # guessed training samples/s at 224x224x3, all devices together
    open_to_all: bool = False  # False: may be limited to some competitions or to admins

    def __post_init__(self) -> None:
        check_choice(f"{self.name}: accelerator", self.accelerator, ACCELERATORS)
        check_int(f"{self.name}: devices", self.devices)
        check_number(f"{self.name}: samples_per_s", self.samples_per_s, above=0.0)

    @property
    def session_hours(self) -> float:
        return TPU_SESSION_HOURS if self.accelerator == "tpu" else GPU_SESSION_HOURS

    def target(self) -> TargetMachine:
        """What the runtime needs to know of it (``shared.training.machine``)."""
        return TargetMachine(shape=self.name, accelerator=self.accelerator,
                             chips=self.devices, session_hours=self.session_hours)

    def hardware(self) -> str:
        """``8 x TPU v5e chip, 16 GB HBM each; bfloat16; sessions of 9 h``."""
        return (f"{self.devices} x {self.device}, {self.memory} each; {self.precision}; "
                f"sessions of {self.session_hours:g} h")

    def describe(self) -> str:
        return f"{self.name} ({self.hardware()})"

    def restriction(self) -> str:
        """A flag for the plan, or "" when the shape is open to everyone."""
        return "" if self.open_to_all else (
            f"{self.name} may not be open to your account: {RESTRICTED}; a push that Kaggle "
            "refuses says so")


_GPU, _TPU = "gpu", "tpu"
SHAPES: dict[str, MachineShape] = {s.name: s for s in (
    MachineShape("NvidiaTeslaT4", _GPU, 2, "NVIDIA T4", "16 GB", "float16", 400.0,
                 open_to_all=True),
    MachineShape("NvidiaTeslaT4Highmem", _GPU, 1, "NVIDIA T4 (count undocumented)", "16 GB",
                 "float16", 200.0),
    MachineShape("NvidiaL4", _GPU, 4, "NVIDIA L4 (L4 x4 where offered)", "24 GB",
                 "bfloat16", 1600.0),
    MachineShape("NvidiaL4X1", _GPU, 1, "NVIDIA L4", "24 GB", "bfloat16", 400.0),
    MachineShape("NvidiaTeslaA100", _GPU, 1, "NVIDIA A100", "40-80 GB", "bfloat16", 1200.0),
    MachineShape("NvidiaH100", _GPU, 1, "NVIDIA H100", "80 GB", "bfloat16", 2500.0),
    MachineShape("NvidiaRtxPro6000", _GPU, 1, "NVIDIA RTX PRO 6000 Blackwell", "96 GB",
                 "bfloat16", 2000.0),
    MachineShape("TpuV5E8", _TPU, 8, "TPU v5e chip", "16 GB HBM", "bfloat16", 4000.0,
                 open_to_all=True),
    MachineShape("TpuV6E8", _TPU, 8, "TPU v6e chip", "32 GB HBM", "bfloat16", 8000.0),
)}

# retired name -> what kaggle 2.2.5 says its sessions run on now ("" = the CPU)
RETIRED: dict[str, str] = {"NvidiaTeslaP100": "NvidiaTeslaT4", "TpuV38": "TpuV5E8",
                           "Tpu1VmV38": "TpuV5E8", "TpuV232": "", "TpuV2256": ""}


def _canonical(table, name: str) -> str | None:
    lowered = name.strip().lower()
    return next((key for key in table if key.lower() == lowered), None)


def machine_shape(name: str) -> MachineShape:
    """The shape named ``name`` (any letter case); ValueError for a retired or unknown one,
    naming what it runs on now or listing the valid ones."""
    known = _canonical(SHAPES, name or "")
    if known is not None:
        return SHAPES[known]
    valid = ", ".join(SHAPES)
    retired = _canonical(RETIRED, name or "")
    if retired is not None:
        now = RETIRED[retired]
        runs_on = (f"its sessions now run on {now} ({SHAPES[now].hardware()})" if now
                   else "its sessions now run on the CPU, with no accelerator at all")
        fix = f"set [kaggle] machine_shape = \"{now}\"" if now else \
            "choose one of the valid shapes"
        raise ValueError(f"[kaggle] machine_shape = {name!r} is retired (kaggle 2.2.5): "
                         f"{runs_on}. Expected one of {valid}: {fix}")
    raise ValueError(f"[kaggle] machine_shape = {name!r} is not a Kaggle machine shape; "
                     f"expected one of {valid} (from {SOURCE}), e.g. \"NvidiaTeslaT4\" "
                     "(GPU T4 x2) or \"TpuV5E8\" (TPU v5e-8)")


def check_shape(name: str) -> str:
    """``name`` when it is a valid shape spelt as Kaggle spells it, else ValueError (also for
    another letter case, which the client would pass on as it is)."""
    shape = machine_shape(name)
    if shape.name != name:
        raise ValueError(f"[kaggle] machine_shape = {name!r}: Kaggle spells it "
                         f"\"{shape.name}\"; write it so")
    return name
