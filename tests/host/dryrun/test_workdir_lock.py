"""Two dry runs in one --workdir: the second is refused naming the first's process, and a run
that dies leaves no stale lock behind."""

from __future__ import annotations

import signal
import subprocess
import sys

from competitions import image_folder
from dry_run_cli import dry_run
from host.dryrun.lock import workdir_lock

HOLD = ("import sys, time\n"
        "from host.dryrun.lock import workdir_lock\n"
        "with workdir_lock(sys.argv[1]):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(120)\n")


def test_a_second_run_is_refused_naming_the_first_and_a_killed_one_leaves_no_lock(tmp_path,
                                                                                  fmnist):
    data = image_folder(tmp_path / "comp", fmnist, 30, 5)
    work = tmp_path / "work"
    first = subprocess.Popen([sys.executable, "-c", HOLD, str(work)], stdout=subprocess.PIPE,
                             text=True)
    try:
        assert first.stdout.readline().strip() == "held"
        status, _, err = dry_run(tmp_path, data, workdir=work)
        assert status == 1
        assert err == (
            f"dry run failed: --workdir {work} is in use by another dry run (process "
            f"{first.pid}: -c {work}): two runs in one work folder would replace each other's "
            "kernels and outputs. Wait for it to finish (the lock goes when its process ends, "
            "however it ends), or choose another --workdir")
        assert not (work / "logs").exists() and not (work / "kaggle").exists()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    with workdir_lock(work) as lock:  # the killed holder's lock went with its process
        assert lock.read_text().startswith("process ")
