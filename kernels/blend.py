"""Blend kernel: the fold kernels' predictions in, submission.csv + cv.json out (CPU only).

The bundler bakes the assignment (``BlendAssignment`` as JSON) into this file as
``BAKED_ASSIGNMENT``; locally, pass an assignment file: ``python kernels/blend.py job.json``.
The fold kernels' outputs are searched under ``input_root()``.
"""


def main(assignment) -> int:
    """Blend once; any failure propagates (the process exits non-zero)."""
    from shared.assignment import BlendAssignment
    from shared.blend import run_blend
    from shared.kaggle_paths import input_root, working_dir

    if not isinstance(assignment, BlendAssignment):
        raise ValueError(f"kernels/blend.py got a {type(assignment).__name__}: it runs only "
                         "blend assignments (role 'blend')")
    outcome = run_blend(assignment, input_root(), working_dir())
    if outcome.submission.is_file():
        print(f"submission: {outcome.submission}", flush=True)
    return 0


if __name__ == "__main__":
    import sys

    from shared.kernel_entry import run_kernel

    # The bundler defines BAKED_ASSIGNMENT above this code; by hand, pass a file.
    run_kernel(main, globals().get("BAKED_ASSIGNMENT"), sys.argv, script="kernels/blend.py",
               role="blend")
