"""Where things are inside a Kaggle kernel, or inside the dry run's emulated ``/kaggle`` tree.

Kaggle mounts inputs under ``/kaggle/input`` and runs a kernel with ``/kaggle/working`` as its
current directory. The dry run sets ``KAGGLE_PIPELINE_ROOT`` to its emulated root instead.
Inputs are found by searching, never by a hard-coded mount path: Kaggle has mounted
competition data at ``input/<slug>/`` and ``input/competitions/<slug>/``, and kernel outputs at
``input/<slug>/`` and ``input/notebooks/<owner>/<slug>/``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ROOT_ENV", "kaggle_root", "input_root", "working_dir", "on_kaggle",
           "find_competition_dir", "find_files"]

ROOT_ENV = "KAGGLE_PIPELINE_ROOT"


def kaggle_root() -> Path:
    """``/kaggle``, or the emulated root the dry run names in ``KAGGLE_PIPELINE_ROOT``."""
    return Path(os.environ.get(ROOT_ENV, "/kaggle"))


def input_root() -> Path:
    return kaggle_root() / "input"


def working_dir() -> Path:
    """Where a kernel's results go: the current directory (``/kaggle/working`` on Kaggle)."""
    return Path.cwd()


def on_kaggle() -> bool:
    """True inside a Kaggle kernel or the dry run (both set ``KAGGLE_KERNEL_RUN_TYPE``)."""
    return "KAGGLE_KERNEL_RUN_TYPE" in os.environ


def find_competition_dir(root: Path, slug: str, marker: str) -> Path:
    """The folder under ``root`` holding the competition's ``marker`` file.

    Tries ``root/<slug>`` and ``root/competitions/<slug>`` first, then any folder up to three
    levels down that holds ``marker`` (and is not a kernel output with a manifest).
    """
    for candidate in (root / slug, root / "competitions" / slug):
        if (candidate / marker).is_file():
            return candidate
    found = sorted(p.parent for depth in ("*", "*/*", "*/*/*")
                   for p in root.glob(f"{depth}/{marker}")
                   if not (p.parent / "manifest.json").exists())
    if len(found) == 1:
        return found[0]
    if not found:
        raise FileNotFoundError(
            f"competition data not found: no {marker} under {root} (looked in {root / slug}, "
            f"{root / 'competitions' / slug} and three levels down). Attach the competition "
            f"'{slug}' to the kernel (competition_sources in kernel-metadata.json)")
    raise ValueError(f"{marker} found in several folders under {root}: "
                     f"{', '.join(map(str, found))}; attach only the competition '{slug}'")


def find_files(root: str | os.PathLike, name: str) -> list[Path]:
    """Every file called ``name`` below ``root``, at any depth, in sorted order.

    Symbolic links are followed (Kaggle and the dry run mount inputs as links), and a folder
    reached twice (through a link, or a link loop) is read once, at the first path in sorted
    order; two real copies are two folders and are both returned.
    """
    found, seen = [], set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames.clear()
            continue
        seen.add(real)
        dirnames.sort()
        if name in filenames:
            found.append(Path(dirpath) / name)
    return found
