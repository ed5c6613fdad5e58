"""What the plan says about the machine the train kernels run on (``[kaggle] machine_shape``).

One line for the plan's table: the shape and its hardware, the backend the plan chose, how
many replicas ``distribute`` gives there, the global batch and the precision; and a flag when
the shape may not be open to every account (``host.machine_shapes``).
"""

from __future__ import annotations

from host.machine_shapes import MachineShape
from shared.assignment import TrainChoices
from shared.choices import AUTO
from shared.config import PipelineConfig

__all__ = ["machine_lines", "planned_replicas"]


def planned_replicas(shape: MachineShape, config: PipelineConfig) -> int:
    """The replicas ``[train] distribute`` gives on ``shape``: every device with ``auto`` on 2
    or more (a TPU: every chip), one with ``none``."""
    if config.train.distribute == "none":
        return 1
    return shape.devices


def machine_lines(shape: MachineShape, config: PipelineConfig, choices: TrainChoices
                  ) -> tuple[str, ...]:
    """The plan's machine line, and the shape's restriction flag when it has one."""
    train, batch = config.train, config.loader.batch_size
    replicas = planned_replicas(shape, config)
    backend = f"{choices.backend} ([train] backend = auto)" if train.backend == AUTO \
        else choices.backend
    spread = (f"{replicas} replica(s), global batch {batch * replicas} ({batch} x {replicas})"
              if replicas > 1 else f"one device, global batch {batch}")
    if shape.accelerator == "tpu":
        precision = "bfloat16" if train.mixed_precision in (AUTO, "bfloat16") else \
            f"mixed_precision {train.mixed_precision}"
        how = (f"Keras on {backend} over every chip JAX sees: {spread}, {precision}, "
               "uint8 batches sharded over the chips, steps per call sized for a TPU step")
    else:
        how = (f"Keras on {backend}; the kernel counts the GPUs it finds: {spread} when it "
               f"finds {shape.devices}; precision auto decided on the GPU ({shape.precision} "
               "expected)")
    line = f"machine {shape.describe()}: {how}; training stops before " \
           f"{choices.time_limit_hours:g} h"
    flag = shape.restriction()
    return (line, *((f"note: {flag}",) if flag else ()))
