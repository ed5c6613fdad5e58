"""Train kernel: every preprocessing kernel's shards in, submission.csv + model + reports out.

The bundler bakes the assignment (``TrainAssignment`` as JSON) into this file as
``BAKED_ASSIGNMENT``; locally, pass an assignment file: ``python kernels/train.py job.json``.
Inputs are searched under ``input_root()`` (``/kaggle/input``, or ``$KAGGLE_PIPELINE_ROOT/input``
in the dry run); results go to the working directory. Attaching this kernel's own earlier
output as an input continues that run. Keras is imported only once ``[train] backend`` has
been set (``KERAS_BACKEND``).
"""

import time

_STARTED = time.monotonic()  # the session's clock starts before Keras is imported


def main(assignment) -> int:
    """Run one training session; any failure propagates (the process exits non-zero)."""
    from shared.assignment import TrainAssignment
    from shared.kaggle_paths import input_root, working_dir
    from shared.training.backend import select_backend

    if not isinstance(assignment, TrainAssignment):
        raise ValueError(f"kernels/train.py got a {type(assignment).__name__}: it runs only "
                         "train assignments (role 'train')")
    select_backend(assignment.choices.backend)  # KERAS_BACKEND, before Keras is imported
    from shared.training import run_training

    outcome = run_training(assignment, input_root(), working_dir(), started_at=_STARTED)
    if outcome.submission.is_file():
        print(f"submission: {outcome.submission}", flush=True)
    else:  # a code competition: the inference kernel predicts the test set
        print("no submission.csv here: the inference kernel writes it (code competition)",
              flush=True)
    return 0


if __name__ == "__main__":
    import sys

    from shared.kernel_entry import run_kernel

    # The bundler defines BAKED_ASSIGNMENT above this code; by hand, pass a file.
    run_kernel(main, globals().get("BAKED_ASSIGNMENT"), sys.argv, script="kernels/train.py",
               role="train")
