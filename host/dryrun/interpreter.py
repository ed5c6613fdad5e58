"""Which Python runs the kernels of a dry run: this one, or another (``--kernel-python``).

Kaggle runs kernels in its own image, with other library versions than ours
(``requirements-kaggle.txt``). Pointing the dry run at an environment built from that file
runs the very same kernel files under those versions. ``check_kernel_python`` finds out,
before any kernel starts, that the interpreter runs and has what kernels import; it must not
have this project installed (a kernel finds our code only inside its bundle), but that is
for the caller to decide and is reported in ``KernelPython.has_project``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["KERNEL_IMPORTS", "KernelPython", "check_kernel_python"]

# What kernels import from outside the standard library (both roles together).
KERNEL_IMPORTS = ("numpy", "pandas", "PIL", "tqdm", "keras", "matplotlib")
_PROBE = """
import importlib.util, json, platform, sys
names = json.loads(sys.argv[1])
ours = importlib.util.find_spec("shared") is not None and \\
    importlib.util.find_spec("shared.kernel_entry") is not None
print(json.dumps({"version": platform.python_version(),
                  "missing": [n for n in names if importlib.util.find_spec(n) is None],
                  "has_project": ours}))
"""


@dataclass(frozen=True)
class KernelPython:
    """An interpreter that can run the kernels."""

    path: str
    version: str
    has_project: bool


def check_kernel_python(path: str | os.PathLike | None = None, *,
                        also: tuple[str, ...] = ()) -> KernelPython:
    """The interpreter at ``path`` (default: this one), checked; ``ValueError`` if it cannot
    run kernels (nor import ``also``, e.g. ``jax`` for a plan on JAX), naming what is wrong and
    how to fix it."""
    if path is None or str(path) == "":
        path = sys.executable
    found = shutil.which(str(path)) if os.sep not in str(path) else str(path)
    if not found or not Path(found).is_file() or not os.access(found, os.X_OK):
        raise ValueError(f"--kernel-python {path}: no executable file there; give the path of "
                         "a Python interpreter, e.g. .venv-kaggle/bin/python (make kaggle-env "
                         "builds it from requirements-kaggle.txt)")
    found = os.path.abspath(found)  # kernels run from their own working folder
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    try:
        proc = subprocess.run([found, "-c", _PROBE, json.dumps([*KERNEL_IMPORTS, *also])],
                              env=env, cwd=Path(found).parent, capture_output=True, text=True,
                              timeout=120)
        probe = json.loads(proc.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        raise ValueError(f"--kernel-python {path}: it did not run as a Python 3 interpreter "
                         f"({str(detail).strip()[-300:]}); give the path of one") from None
    if probe["missing"]:
        needs = [name for name in also if name in probe["missing"]]
        fix = "install requirements-kaggle.txt into it (make kaggle-env does)"
        if needs:
            fix = (f"this plan trains on {', '.join(needs)}: install it there (pip install "
                   f"{' '.join(needs)}), or leave --kernel-python out to use this Python")
        raise ValueError(f"--kernel-python {path} (Python {probe['version']}) cannot import "
                         f"{', '.join(probe['missing'])}, which the kernels need: {fix}")
    return KernelPython(path=found, version=probe["version"], has_project=probe["has_project"])
