"""Where the model runs, on either Keras backend, and at which precision.

Kaggle's "GPU T4 x2" shows two GPUs; ``distribute = "auto"`` spreads every batch over them
and scales the global batch by the replica count (``[loader] batch_size`` is per replica):
``tf.distribute.MirroredStrategy`` on TensorFlow, ``keras.distribution.DataParallel`` on JAX.
``mirrored`` forces it: over every GPU, or, on a machine without one, over every CPU device
(how the tests exercise this path: they split the host CPU in two before the backend starts,
with ``tf.config.set_logical_device_configuration`` or
``XLA_FLAGS=--xla_force_host_platform_device_count=2``).

A plan for a TPU (``accelerator = "tpu"``, from ``TrainChoices``) runs as on the TPU
wherever it runs: ``auto`` spreads every batch over every device JAX sees (the 8 chips of a
v5e-8; in a local rehearsal, the host devices forced by
``XLA_FLAGS=--xla_force_host_platform_device_count=8``), and ``mixed_precision = "auto"``
is bfloat16 there too.

Only the active backend's library is imported: a JAX session never imports TensorFlow here.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, ContextManager

import keras

from shared.choices import ACCELERATORS, DISTRIBUTE_MODES
from shared.checks import check_choice
from shared.training.precision import Chip, resolve_precision

__all__ = ["Placement", "select_placement", "DISTRIBUTE_MODES"]



@dataclass(frozen=True)
class Placement:
    """The devices, how batches are spread over them, and the Keras dtype policy."""

    backend: str
    devices: tuple[str, ...]
    precision: str  # float32, mixed_float16 or mixed_bfloat16
    platform: str  # gpu, tpu or cpu: where the devices are
    distribution: str = ""  # MirroredStrategy, DataParallel, or "" for one device
    strategy: Any = None  # the tf.distribute strategy on TensorFlow, else None
    target: str = "gpu"  # what the plan is for (gpu or tpu): a TPU plan runs as on a TPU

    @property
    def replicas(self) -> int:
        return len(self.devices) if self.distribution else 1

    @property
    def mirrored(self) -> bool:
        return bool(self.distribution)

    @property
    def mixed_precision(self) -> bool:
        return self.precision != "float32"

    @property
    def accelerator(self) -> bool:
        """Steps are sized for an accelerator: one was found, or the plan is for a TPU."""
        return self.platform != "cpu" or self.target == "tpu"

    def global_batch(self, per_replica: int) -> int:
        return per_replica * self.replicas

    def scope(self) -> ContextManager:
        """Build and load models inside this (the strategy's scope on TensorFlow)."""
        return self.strategy.scope() if self.strategy is not None else contextlib.nullcontext()

    def describe(self) -> str:
        kind = self.distribution or "one device"
        return (f"{kind} on {', '.join(self.devices)} ({self.replicas} replica(s), "
                f"{self.precision}, {self.backend})")


def _tensorflow(distribute: str) -> tuple[tuple[str, ...], list[Chip], str, Any]:
    import tensorflow as tf

    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    chips = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        capability = details.get("compute_capability")
        chips.append(Chip("gpu", details.get("device_name", ""),
                          tuple(capability) if capability else None))
    if distribute == "mirrored" or (distribute == "auto" and len(gpus) > 1):
        devices = tuple(gpus or cpus)
        return devices, chips, "MirroredStrategy", tf.distribute.MirroredStrategy(list(devices))
    return tuple(gpus[:1] or cpus[:1]), chips, "", tf.distribute.get_strategy()


def _jax(distribute: str, tpu: bool = False) -> tuple[tuple[str, ...], list[Chip], str, Any]:
    import jax

    def chip(device) -> Chip:
        capability = getattr(device, "compute_capability", None)
        parsed = tuple(int(p) for p in str(capability).split(".")[:2]) if capability else None
        return Chip(device.platform, getattr(device, "device_kind", ""), parsed)

    accelerators = [d for d in jax.devices() if d.platform != "cpu"]
    # a TPU plan spreads over every device JAX sees, whatever they are (the chips, or the
    # forced host devices of a rehearsal); otherwise only accelerators count
    chosen = list(jax.devices()) if tpu else accelerators or jax.devices("cpu")
    counted = chosen if tpu else accelerators
    names = tuple(f"{d.platform}:{d.id}" for d in chosen)
    if distribute == "mirrored" or (distribute == "auto" and len(counted) > 1):
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=names))
        return names, [chip(d) for d in accelerators], "DataParallel", None
    keras.distribution.set_distribution(None)
    return names[:1], [chip(d) for d in accelerators], "", None


def select_placement(distribute: str = "auto", *, mixed_precision: str | bool = "auto",
                     accelerator: str = "gpu") -> Placement:
    """Pick the devices for ``[train] distribute`` on the active Keras backend and set Keras'
    global dtype policy for ``[train] mixed_precision`` (see ``shared.training.precision``),
    for a plan made for ``accelerator`` (``gpu``, or ``tpu``: see the module docstring)."""
    if distribute not in DISTRIBUTE_MODES:
        raise ValueError(f"distribute={distribute!r}: expected one of "
                         f"{', '.join(DISTRIBUTE_MODES)}")
    check_choice("accelerator", accelerator, ACCELERATORS)
    backend = keras.backend.backend()
    if backend not in ("tensorflow", "jax"):
        raise ValueError(f"Keras runs the {backend!r} backend: expected tensorflow or jax "
                         "([train] backend)")
    tpu = accelerator == "tpu"
    if tpu and backend != "jax":
        raise ValueError(f"a TPU plan trains on JAX, but Keras runs {backend!r}: rebuild the "
                         'kernel with [train] backend = "auto"')
    if backend == "tensorflow":
        devices, chips, distribution, strategy = _tensorflow(distribute)
    else:
        devices, chips, distribution, strategy = _jax(distribute, tpu)
    chip = Chip("tpu") if tpu else chips[0] if chips else None
    precision = resolve_precision(mixed_precision, chip)
    keras.mixed_precision.set_dtype_policy(precision)
    return Placement(backend=backend, devices=devices, precision=precision,
                     platform=chips[0].platform if chips else "cpu",
                     distribution=distribution, strategy=strategy, target=accelerator)
