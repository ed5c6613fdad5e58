"""Where the dry run may work: a folder (or a path to create) outside the competition data.

The dry run mounts every top-level entry of the competition folder into each kernel's input
by symbolic links; a work folder inside the competition folder would then hold a link to
itself, and every walk over the inputs would loop. A work folder that is a file cannot hold
the emulated trees. Both are refused before anything is planned or written.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["check_workdir"]


def check_workdir(workdir: str | Path, data_dir: str | Path) -> None:
    """ValueError when ``workdir`` cannot hold a dry run of the data in ``data_dir``."""
    work, data = Path(workdir).resolve(), Path(data_dir).resolve()
    if work == data or data in work.parents:
        raise ValueError(
            f"--workdir {workdir} is inside the competition folder {data} (--data): the dry run "
            "links every entry of that folder into each kernel's input, so the work folder "
            f"would hold a link to itself. Choose a work folder outside it, e.g. --workdir "
            f"{data.parent / (data.name + '-dry-run')}")
    existing = next(p for p in (work, *work.parents) if p.exists() or p.is_symlink())
    if not existing.is_dir():
        what = "is a file" if existing == work else f"lies under {existing}, a file"
        raise ValueError(
            f"--workdir {workdir} {what}: expected a folder (created when missing) to hold "
            "the emulated /kaggle trees, kernels, logs and report.json. Choose another path, "
            f"e.g. --workdir {work.parent / (work.name + '-dry-run')}")
