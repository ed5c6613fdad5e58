import subprocess
import sys
from pathlib import Path

import pytest

from shared.kernel_entry import assignment_text, run_kernel

ROOT = Path(__file__).resolve().parents[2]


def baked_train_assignment() -> str:
    from test_assignment import CHOICES, LAYOUT, SPEC

    from shared.assignment import TrainAssignment, dump_assignment
    from shared.config import PipelineConfig

    return dump_assignment(TrainAssignment(kernel="demo-train", competition="demo",
                                           sources=("demo-preprocess-00",), spec=SPEC,
                                           source=LAYOUT, source_fingerprint="abc",
                                           config=PipelineConfig(), choices=CHOICES))


def test_a_clean_run_does_not_exit_and_a_failure_does():
    seen = []
    run_kernel(lambda a: seen.append(a.kernel) or 0, baked_train_assignment(), ["k.py"],
               script="k.py", role="train")  # no SystemExit(0): notebook runners flag it
    assert seen == ["demo-train"]
    with pytest.raises(SystemExit) as failed:
        run_kernel(lambda a: 3, baked_train_assignment(), ["k.py"], script="k.py",
                   role="train")
    assert failed.value.code == 3


def test_a_bad_assignment_is_refused():
    with pytest.raises(ValueError, match="role"):
        run_kernel(lambda a: 0, '{"role": "nope"}', ["k.py"], script="k.py", role="train")


def test_baked_assignment_wins_and_a_file_is_read(tmp_path):
    assert assignment_text("baked", ["k.py", "ignored"], script="k.py", role="train") == "baked"
    (tmp_path / "a.json").write_text("from file")
    assert assignment_text(None, ["k.py", str(tmp_path / "a.json")], script="k.py",
                           role="train") == "from file"


@pytest.mark.parametrize("args, message", [
    ([], "no assignment baked in and 0 arguments given, expected one"),
    (["missing.json"], "cannot read the assignment file missing.json"),
])
def test_preprocess_kernel_by_hand_explains_its_argument(tmp_path, args, message):
    proc = subprocess.run([sys.executable, str(ROOT / "kernels" / "preprocess.py"), *args],
                          cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1
    assert message in proc.stderr and "usage: python kernels/preprocess.py ASSIGNMENT.json" \
        in proc.stderr
