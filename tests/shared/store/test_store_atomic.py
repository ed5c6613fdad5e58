import os
import signal

import pytest

from shared.store.atomic import (atomic_path, interrupts_deferred, write_bytes_atomic,
                                 write_text_atomic)


def test_a_file_is_replaced_whole_and_no_temporary_stays(tmp_path):
    path = tmp_path / "preview.png"
    assert write_bytes_atomic(path, b"\x89PNG first") == path
    write_text_atomic(path, "second ü")
    assert path.read_text(encoding="utf-8") == "second ü"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preview.png"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "kernel.py"
    write_text_atomic(path, "old")
    with pytest.raises(TypeError):  # fails after the temporary file was opened
        write_bytes_atomic(path, "text is not bytes")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kernel.py"]


def test_atomic_path_publishes_on_success_and_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "history.csv"
    with atomic_path(target) as tmp:
        assert tmp.name == ".history.csv.tmp" and not target.exists()
        tmp.write_text("epoch\n1\n")
    assert target.read_text() == "epoch\n1\n"
    with pytest.raises(RuntimeError, match="disk gone"):
        with atomic_path(target) as tmp:
            tmp.write_text("epoch\n")
            raise RuntimeError("disk gone")
    assert target.read_text() == "epoch\n1\n"  # the old file, never a half-written one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv"]


def test_atomic_path_can_keep_the_suffix(tmp_path):
    with atomic_path(tmp_path / "model.keras", keep_suffix=True) as tmp:
        assert tmp.name == ".model.tmp.keras"
        tmp.write_bytes(b"weights")
    assert (tmp_path / "model.keras").read_bytes() == b"weights"


@pytest.mark.usefixtures("ctrl_c_reaches_children")
def test_a_ctrl_c_inside_a_deferred_step_acts_when_the_step_ends():
    handler = signal.getsignal(signal.SIGINT)
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            steps.append("after the signal")
        steps.append("after the block")
    assert steps == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is handler
    with interrupts_deferred():  # no signal: nothing raised
        steps.append("quiet")
    assert steps[-1] == "quiet"
