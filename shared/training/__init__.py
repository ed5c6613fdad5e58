"""The training kernel's logic: data setup, callbacks, resume state, device strategy, outputs.

``run_training(assignment, input_dir, out_dir)`` is the entry point ``kernels/train.py``
calls; the modules below it are usable on their own. Names are imported from their module
on first use (``shared.lazy``), so ``shared.training.backend`` can choose Keras' backend
before anything imports Keras.
"""

from shared.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "shared.training.run": ("TrainOutcome", "run_training"),
})
