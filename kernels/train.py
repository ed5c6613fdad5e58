"""Train kernel: every preprocessing kernel's shards in, submission.csv + model + reports out.

The bundler bakes the assignment (``TrainAssignment`` as JSON) into this file as
``BAKED_ASSIGNMENT``; locally, pass an assignment file: ``python kernels/train.py job.json``.
Inputs are searched under ``input_root()`` (``/kaggle/input``, or ``$KAGGLE_PIPELINE_ROOT/input``
in the dry run); results go to the working directory. Attaching this kernel's own earlier
output as an input continues that run.
"""

import time

_STARTED = time.monotonic()  # the session's clock starts before TensorFlow is imported


def main(assignment) -> int:
    """Run one training session; any failure propagates (the process exits non-zero)."""
    from shared.assignment import TrainAssignment
    from shared.kaggle_paths import input_root, working_dir
    from shared.training import run_training

    if not isinstance(assignment, TrainAssignment):
        raise ValueError(f"kernels/train.py got a {type(assignment).__name__}: it runs only "
                         "train assignments (role 'train')")
    outcome = run_training(assignment, input_root(), working_dir(), started_at=_STARTED)
    print(f"submission: {outcome.submission}", flush=True)
    return 0


USAGE = ("usage: python kernels/train.py ASSIGNMENT.json\n"
         "  ASSIGNMENT.json: the train kernel's assignment, a file written by "
         "shared.assignment.dump_assignment (a bundled kernel carries it as BAKED_ASSIGNMENT "
         "and takes no argument)")


def read_assignment_text(argv: list[str]) -> str:
    """The baked-in assignment, else the file named by the only argument; exits with the
    usage message when there is neither."""
    baked = globals().get("BAKED_ASSIGNMENT")  # the bundler defines it above this code
    if baked is not None:
        return baked
    if len(argv) != 2:
        raise SystemExit(f"kernels/train.py: no assignment baked in and {len(argv) - 1} "
                         f"arguments given, expected one\n{USAGE}")
    try:
        with open(argv[1], encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise SystemExit(f"kernels/train.py: cannot read the assignment file {argv[1]} "
                         f"({exc.strerror})\n{USAGE}") from None


if __name__ == "__main__":
    import sys
    text = read_assignment_text(sys.argv)
    from shared.assignment import load_assignment
    sys.exit(main(load_assignment(text)))
