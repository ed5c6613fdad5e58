"""The training kernel's logic: data setup, callbacks, resume state, device strategy, outputs.

``run_training(assignment, input_dir, out_dir)`` is the entry point ``kernels/train.py``
calls; the modules below it are usable on their own.
"""

from shared.training.run import TrainOutcome, run_training

__all__ = ["TrainOutcome", "run_training"]
