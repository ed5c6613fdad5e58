"""Rehearsing a TPU run locally: the train kernels on forced JAX host devices.

A plan for a TPU shape (``[kaggle] machine_shape = "TpuV5E8"``) trains on JAX over every
device JAX sees (``shared.training.strategy``). On a machine without a TPU, XLA can split the
host CPU into as many devices as the shape has chips
(``XLA_FLAGS=--xla_force_host_platform_device_count=8``): the dry run sets that for the
kernels that run on the accelerator, so ``auto`` resolves there as on the TPU (8 replicas,
the global batch of ``batch_size`` x 8, bfloat16, the TPU's steps per call). A count already
in ``XLA_FLAGS`` is kept (e.g. ``=1`` to compare with one device).
"""

from __future__ import annotations

import re
from typing import Mapping

from host.machine_shapes import MachineShape

__all__ = ["FORCE_DEVICES", "rehearsal_environment"]

FORCE_DEVICES = "--xla_force_host_platform_device_count"
_COUNT = re.compile(re.escape(FORCE_DEVICES) + r"=(\d+)")


def rehearsal_environment(shape: MachineShape, environ: Mapping[str, str]
                          ) -> tuple[dict[str, str], str]:
    """The variables to add to the accelerated kernels' environment, and a line saying what
    the rehearsal does ("" and {} for a GPU shape: a GPU plan runs on what the machine has)."""
    if shape.accelerator != "tpu":
        return {}, ""
    flags = environ.get("XLA_FLAGS", "")
    found = _COUNT.search(flags)
    if found:
        return {}, (f"rehearsing {shape.name}: XLA_FLAGS already forces {found.group(1)} JAX "
                    f"host device(s) (kept; the TPU has {shape.devices} chips)")
    value = f"{flags} {FORCE_DEVICES}={shape.devices}".strip()
    return {"XLA_FLAGS": value}, (
        f"rehearsing {shape.name}: the train kernels run on {shape.devices} forced JAX host "
        f"devices (XLA_FLAGS={value}), where auto resolves as on its {shape.devices} chips")
