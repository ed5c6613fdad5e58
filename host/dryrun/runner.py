"""Run one kernel folder as Kaggle would: a subprocess in its emulated tree.

The script runs with ``python <script>`` from its working directory, with Kaggle's
environment (``KAGGLE_KERNEL_RUN_TYPE=Batch``) and without the repository on ``sys.path``,
so a bundle that is not self-contained fails here as it would on Kaggle. Output goes to a
log file and, line by line with the kernel's name in front, to the terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, TextIO

from host.bundle.folder import KernelFolder
from host.dryrun.offline import offline_prefix
from host.dryrun.tree import KernelTree, folder_bytes
from shared.kaggle_paths import ROOT_ENV

__all__ = ["KernelRun", "run_kernel", "kernel_environment"]

_echo_lock = threading.Lock()


@dataclass(frozen=True)
class KernelRun:
    """What one kernel run did."""

    slug: str
    role: str
    exit_status: int
    wall_seconds: float
    output_bytes: int
    log: Path

    def log_tail(self, lines: int = 20) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


_NOT_PASSED = ("PYTHONPATH", "PYTHONHOME", "KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN",
               "KAGGLE_CONFIG_DIR", "KAGGLE_API_V1_TOKEN")


def kernel_environment(tree: KernelTree, extra: Mapping[str, str] | None = None
                       ) -> dict[str, str]:
    """The host environment minus what would import the repo or carry Kaggle credentials
    (a real kernel has neither), plus Kaggle's own variables and ``extra`` (e.g. the forced
    JAX devices of a TPU rehearsal)."""
    env = {k: v for k, v in os.environ.items() if k not in _NOT_PASSED}
    env.update({"KAGGLE_KERNEL_RUN_TYPE": "Batch", ROOT_ENV: str(tree.root),
                "PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg", "TF_CPP_MIN_LOG_LEVEL": "2"})
    env.update(extra or {})
    return env


def run_kernel(folder: KernelFolder, tree: KernelTree, *, log_dir: Path,
               echo: TextIO | None = sys.stdout, python: str = "",
               env: Mapping[str, str] | None = None, offline: bool = False,
               name: str = "") -> KernelRun:
    """Run the kernel to its end with ``python`` (default: this interpreter) and ``env``
    added to its environment; its exit status is returned, not raised. ``offline``: without
    a network (``host.dryrun.offline``), when this machine can; ``name``: of the log and the
    echo."""
    log_dir.mkdir(parents=True, exist_ok=True)
    name = name or folder.slug
    log_path = log_dir / f"{name}.log"
    command = [python or sys.executable, str(folder.script_path.resolve())]
    if offline:
        command = [*offline_prefix(), *command]
    start = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log:
        with subprocess.Popen(command, cwd=tree.working, env=kernel_environment(tree, env),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              errors="replace") as proc:
            try:
                for line in proc.stdout:
                    log.write(line)
                    if echo is not None:
                        with _echo_lock:
                            echo.write(f"[{name}] {line}")
                            echo.flush()
            except BaseException:
                proc.kill()  # e.g. Ctrl-C: leave no kernel running behind the dry run
                raise
        status = proc.returncode
    return KernelRun(slug=name, role=folder.role, exit_status=status,
                     wall_seconds=round(time.perf_counter() - start, 2),
                     output_bytes=folder_bytes(tree.working), log=log_path)
