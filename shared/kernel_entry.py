"""How a kernel script starts: its baked-in assignment, or an assignment file given by hand.

On Kaggle the bundler bakes the assignment into the script (``BAKED_ASSIGNMENT``) and the
script takes no argument; run by hand, it takes the path of an assignment JSON file
(``shared.assignment.dump_assignment``). The process exits non-zero only on failure: an
exception propagates, and a clean run ends without ``sys.exit(0)``, which notebook-style
runners report as an error. Ctrl-C ends it with one line saying what is kept and how to
resume (exit status 130), not a traceback.
"""

from __future__ import annotations

import sys
from typing import Callable, Sequence

__all__ = ["assignment_text", "run_kernel", "INTERRUPTED"]

INTERRUPTED = {
    "preprocess": "interrupted: the finished shards are kept and nothing half-written looks "
                  "finished; run the kernel again on the same working folder to resume at the "
                  "first missing shard",
    "train": "interrupted: every finished epoch is kept (train_state.json and its "
             "checkpoints); run again with this output attached as an input to resume at the "
             "next epoch",
}


def _usage(script: str, role: str) -> str:
    return (f"usage: python {script} ASSIGNMENT.json\n"
            f"  ASSIGNMENT.json: the {role} kernel's assignment, a file written by "
            "shared.assignment.dump_assignment (a bundled kernel carries it as "
            "BAKED_ASSIGNMENT and takes no argument)")


def assignment_text(baked: str | None, argv: Sequence[str], *, script: str, role: str) -> str:
    """The baked-in assignment, else the file named by the only argument; exits with the
    usage message when there is neither."""
    if baked is not None:
        return baked
    if len(argv) != 2:
        raise SystemExit(f"{script}: no assignment baked in and {len(argv) - 1} arguments "
                         f"given, expected one\n{_usage(script, role)}")
    try:
        with open(argv[1], encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise SystemExit(f"{script}: cannot read the assignment file {argv[1]} "
                         f"({exc.strerror})\n{_usage(script, role)}") from None


def run_kernel(main: Callable[..., int], baked: str | None, argv: Sequence[str], *,
               script: str, role: str) -> None:
    """Load the assignment and run ``main``; exit only with a non-zero status."""
    from shared.assignment import load_assignment
    from shared.runtime_info import describe_runtime

    print(f"runtime: {describe_runtime()}", flush=True)
    try:
        status = main(load_assignment(assignment_text(baked, argv, script=script, role=role)))
    except KeyboardInterrupt:
        print(f"\n{INTERRUPTED.get(role, 'interrupted')}", file=sys.stderr, flush=True)
        sys.exit(130)
    if status:
        sys.exit(status)
