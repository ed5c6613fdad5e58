"""Preprocessing kernel: decode this kernel's share of the competition's rows into shards.

The bundler bakes the assignment in as ``BAKED_ASSIGNMENT``; run by hand, give the path of
an assignment JSON file (``shared.assignment.dump_assignment``). Any error ends the process
with a non-zero exit code; finished shards stay, and a re-run completes what is missing.
"""

from shared.assignment import PreprocessAssignment
from shared.kaggle_paths import input_root, working_dir
from shared.preprocess import competition_folder, run_preprocess


def main(assignment: PreprocessAssignment) -> int:
    if not isinstance(assignment, PreprocessAssignment):
        raise ValueError(f"{assignment.kernel} is a {assignment.role} assignment: this script "
                         "runs preprocess assignments (kernels/train.py runs the other)")
    data_dir = competition_folder(input_root(), assignment)
    ranges = ", ".join(str(r) for r in assignment.ranges)
    print(f"{assignment.kernel}: {ranges} of {data_dir} -> {working_dir()}", flush=True)
    run_preprocess(assignment, data_dir, working_dir())
    return 0


if __name__ == "__main__":
    import sys

    from shared.kernel_entry import run_kernel

    # The bundler defines BAKED_ASSIGNMENT above this code; by hand, pass a file.
    run_kernel(main, globals().get("BAKED_ASSIGNMENT"), sys.argv,
               script="kernels/preprocess.py", role="preprocess")
