"""How many batches one compiled call runs: ``[train] steps_per_execution``.

Keras pays a fixed host cost per call of its train function (Python, callbacks, dispatch).
Measured on this project's 2-core development machine with a model that does almost no work
(the tiny model of ``benchmarks/gpu_feed.py``'s ``steps_per_execution`` section), it was 1.2
to 1.8 ms per step on JAX and 2.3 to 5 ms on TensorFlow; 8 steps per call took it to 1.1-1.7
and 2.3-3 ms. On a CPU a step of the article CNN at batch 128 takes 20 to 150 ms, so the cost
is noise there (8 steps per call changed it by less than the run-to-run spread) and
``auto`` is 1. On an accelerator a step of a
small model can be shorter than that cost (the article CNN at batch 512 took 1.16 ms per
step on an H100), and the device then waits on the host: ``auto`` runs enough steps per
call that their estimated device time covers ``HOST_SECONDS_PER_CALL``, at most
``MAX_AUTO``, and snaps to a divisor of the epoch's steps so every call runs whole.

The device time of a step is estimated from the model: 6 x the multiply-adds of its
convolution and dense kernels per sample (forward and backward) x the batch, at
``ACCELERATOR_FLOPS`` (about what that H100 run reached on the article CNN).

On a TPU plan (``tpu=True``, also in its local rehearsal, so both resolve alike) the global
batch is split over ``replicas`` chips, each estimated at ``TPU_CHIP_FLOPS`` (the H100's
measured share of its bfloat16 peak, 2 %, applied to a v5e chip's 197 TFLOP/s), and a call
is taken to cost ``TPU_HOST_SECONDS_PER_CALL`` of host time (it dispatches to every chip).
Neither TPU figure was measured: no TPU was at hand; a run's ``metrics.json`` says what
was used.
"""

from __future__ import annotations

import math

import keras

__all__ = ["resolve_steps_per_execution", "multiply_adds", "step_flops",
           "HOST_SECONDS_PER_CALL", "ACCELERATOR_FLOPS", "TPU_CHIP_FLOPS",
           "TPU_HOST_SECONDS_PER_CALL", "MAX_AUTO"]

HOST_SECONDS_PER_CALL = 0.002
ACCELERATOR_FLOPS = 2e13
TPU_CHIP_FLOPS = 4e12
TPU_HOST_SECONDS_PER_CALL = 0.005
MAX_AUTO = 32


def _layers(model: keras.layers.Layer):
    for layer in getattr(model, "layers", ()):
        yield layer
        yield from _layers(layer)


def multiply_adds(model: keras.Model) -> int:
    """Multiply-adds of one sample's forward pass through the model's kernels (convolution,
    dense): kernel size x output positions. Other layers are left out (an estimate)."""
    total = 0
    for layer in _layers(model):
        kernel = getattr(layer, "kernel", None) if not hasattr(layer, "layers") else None
        kernel = getattr(layer, "depthwise_kernel", kernel)
        if kernel is None:
            continue
        try:
            shape = tuple(layer.output.shape)
        except (AttributeError, ValueError):
            shape = ()
        positions = math.prod(d for d in shape[1:-1] if d) if len(shape) > 2 else 1
        total += math.prod(kernel.shape) * positions
    return int(total)


def step_flops(model: keras.Model, batch: int) -> float:
    """Estimated floating-point operations of one training step (forward and backward)."""
    return 6.0 * multiply_adds(model) * batch


def resolve_steps_per_execution(setting: int | str, model: keras.Model, *, global_batch: int,
                                steps_per_epoch: int, accelerator: bool, tpu: bool = False,
                                replicas: int = 1) -> int:
    """``setting`` when it is a number, else the ``auto`` rule of the module docstring."""
    if setting != "auto":
        return int(setting)
    if not (accelerator or tpu):
        return 1
    flops, host = ((TPU_CHIP_FLOPS * max(1, replicas), TPU_HOST_SECONDS_PER_CALL) if tpu
                   else (ACCELERATOR_FLOPS, HOST_SECONDS_PER_CALL))
    step_seconds = step_flops(model, global_batch) / flops
    wanted = MAX_AUTO if step_seconds <= 0 else min(MAX_AUTO, math.ceil(host / step_seconds))
    return max(d for d in range(1, max(1, wanted) + 1) if steps_per_epoch % d == 0)
