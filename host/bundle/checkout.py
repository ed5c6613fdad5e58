"""Which checkout a kernel's code comes from: the one the running script belongs to.

The bundler packs the ``shared`` modules of the repository that holds ``host`` (it reads them
by path, ``build.repo_root``). When two clones share one virtual environment, ``host`` and
``shared`` may be imported from the clone that was installed (``pip install -e``) rather than
from the clone whose script runs, and every kernel would carry, and be fingerprinted by, the
other clone's code. The scripts put their own checkout first on ``sys.path``; this check
refuses what is still mixed (an earlier import), naming both paths.
"""

from __future__ import annotations

from pathlib import Path

import host
import shared

__all__ = ["check_checkout"]


def check_checkout(script: str | Path) -> Path:
    """The repository ``script`` belongs to; ValueError when ``host`` or ``shared`` were
    imported from another one."""
    own = Path(script).resolve().parents[1]
    for package in (host, shared):
        found = Path(package.__file__).resolve().parents[1]
        if found != own:
            name = Path(script).name
            raise ValueError(
                f"{name} belongs to the checkout {own}, but this Python imports the pipeline's "
                f"{package.__name__} package from {found} (another checkout installed in the "
                "same environment): its kernels would carry and be fingerprinted by that "
                f"checkout's code. Run {found / 'scripts' / name} instead, or install this "
                f"checkout (pip install -e {own})")
    return own
