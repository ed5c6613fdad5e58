"""Which machine each kernel role runs on, as ``kernel-metadata.json`` says it: one place.

The roles that train (``ACCELERATED_ROLES``) run on ``[kaggle] machine_shape``; a code
competition's inference kernel runs on a GPU (that shape's, or a T4 when the shape is a TPU:
many code competitions forbid TPUs) or on the CPU (``[kaggle] infer_accelerator``); every
other role (preprocessing, the blend) runs on a CPU. Kaggle reads three fields: the shape
(``machine_shape``) and two switches that must agree with it (``enable_gpu``,
``enable_tpu``: a TPU session needs ``enable_tpu: true`` and ``enable_gpu: false``). The
bundler writes them with ``role_accelerator``, the metadata check expects exactly the same,
and the local dry run rehearses the roles that run on a TPU (``host.dryrun.rehearsal``).
"""

from __future__ import annotations

from typing import Any

from host.machine_shapes import machine_shape

__all__ = ["ACCELERATED_ROLES", "role_accelerator", "runs_on_accelerator"]

# the roles that train on the machine shape
ACCELERATED_ROLES = ("train",)
INFER_GPU = "NvidiaTeslaT4"  # the inference kernel's GPU when the shape is a TPU


def runs_on_accelerator(role: str) -> bool:
    return role in ACCELERATED_ROLES


def role_accelerator(role: str, shape: str, *, infer: str = "gpu") -> dict[str, Any]:
    """The metadata fields that choose ``role``'s machine: ``machine_shape``, ``enable_gpu``
    and ``enable_tpu`` for a role that runs the model on ``shape``; the inference kernel's GPU
    (``infer``: ``[kaggle] infer_accelerator``); for any other role the two switches off and
    no shape (a CPU session)."""
    tpu = machine_shape(shape).accelerator == "tpu"
    if role == "infer" and infer == "gpu":
        return {"machine_shape": INFER_GPU if tpu else shape, "enable_gpu": True,
                "enable_tpu": False}
    if not runs_on_accelerator(role):
        return {"enable_gpu": False, "enable_tpu": False}
    return {"machine_shape": shape, "enable_gpu": not tpu, "enable_tpu": tpu}
