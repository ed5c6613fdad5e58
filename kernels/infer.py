"""Inference kernel (code competitions): the test images the mounted sample lists in,
submission.csv out. It is the kernel submitted to the competition: Kaggle re-runs it on the
hidden test set to score it.

The bundler bakes the assignment (``InferAssignment`` as JSON) into this file as
``BAKED_ASSIGNMENT``; locally, pass an assignment file: ``python kernels/infer.py job.json``.
The trained models are searched under ``input_root()``. Keras is imported only once the
training's backend has been set (``KERAS_BACKEND``) and the decoding workers have forked.
"""


def main(assignment) -> int:
    """Predict once; any failure propagates (the process exits non-zero)."""
    from shared.assignment import InferAssignment
    from shared.kaggle_paths import input_root, working_dir
    from shared.training.backend import select_backend

    if not isinstance(assignment, InferAssignment):
        raise ValueError(f"kernels/infer.py got a {type(assignment).__name__}: it runs only "
                         "inference assignments (role 'infer')")
    select_backend(assignment.choices.backend)  # KERAS_BACKEND, before Keras is imported
    from shared.inference import run_inference

    outcome = run_inference(assignment, input_root(), working_dir())
    print(f"submission: {outcome.submission}", flush=True)
    return 0


if __name__ == "__main__":
    import sys

    from shared.kernel_entry import run_kernel

    # The bundler defines BAKED_ASSIGNMENT above this code; by hand, pass a file.
    run_kernel(main, globals().get("BAKED_ASSIGNMENT"), sys.argv, script="kernels/infer.py",
               role="infer")
