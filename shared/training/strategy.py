"""Where the model runs: one device, or ``tf.distribute.MirroredStrategy`` over several.

Kaggle's "GPU T4 x2" shows two GPUs; ``distribute = "auto"`` mirrors the model over them and
scales the global batch by the replica count (``[loader] batch_size`` is per replica).
``mirrored`` forces the strategy: over every GPU, or, on a machine without one, over every
logical CPU device (how the tests exercise this path: they split the host CPU in two with
``tf.config.set_logical_device_configuration`` before TensorFlow starts).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

__all__ = ["Placement", "select_placement", "DISTRIBUTE_MODES"]

DISTRIBUTE_MODES = ("auto", "mirrored", "none")


@dataclass(frozen=True)
class Placement:
    """The chosen strategy, its devices and the numeric precision policy."""

    strategy: tf.distribute.Strategy
    devices: tuple[str, ...]
    mixed_precision: bool

    @property
    def replicas(self) -> int:
        return int(self.strategy.num_replicas_in_sync)

    @property
    def mirrored(self) -> bool:
        return isinstance(self.strategy, tf.distribute.MirroredStrategy)

    def global_batch(self, per_replica: int) -> int:
        return per_replica * self.replicas

    def describe(self) -> str:
        kind = "MirroredStrategy" if self.mirrored else "default strategy"
        precision = "mixed_float16" if self.mixed_precision else "float32"
        return f"{kind} on {', '.join(self.devices)} ({self.replicas} replica(s), {precision})"


def select_placement(distribute: str = "auto", *, mixed_precision: bool = False) -> Placement:
    """Pick the strategy for ``[train] distribute`` and set Keras' global dtype policy.

    Mixed precision is applied only when a GPU is visible; on CPU float16 math is slower
    than float32, so the setting is ignored there (``Placement.mixed_precision`` says so).
    """
    if distribute not in DISTRIBUTE_MODES:
        raise ValueError(f"distribute={distribute!r}: expected one of "
                         f"{', '.join(DISTRIBUTE_MODES)}")
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    if distribute == "mirrored" or (distribute == "auto" and len(gpus) > 1):
        devices = tuple(gpus or cpus)
        strategy: tf.distribute.Strategy = tf.distribute.MirroredStrategy(list(devices))
    else:
        devices = tuple(gpus[:1] or cpus[:1])
        strategy = tf.distribute.get_strategy()
    use_mixed = bool(mixed_precision and gpus)
    keras.mixed_precision.set_dtype_policy("mixed_float16" if use_mixed else "float32")
    return Placement(strategy=strategy, devices=devices, mixed_precision=use_mixed)
