"""An emulated Kaggle file tree per kernel: ``<root>/input`` (mounted sources) and
``<root>/working`` (the kernel's output and current directory).

Mounts are symbolic links, the way Kaggle mounts sources without copying them: the
competition folder at ``input/<competition>/`` (minus the local solution file, which Kaggle
never ships) and each preprocessing kernel's output at ``input/notebooks/<owner>/<slug>/``
(``layout="notebooks"``) or ``input/<slug>/`` (``layout="legacy"``).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["KernelTree", "LAYOUTS", "make_tree", "mount_competition", "mount_output",
           "folder_bytes"]

LAYOUTS = ("notebooks", "legacy")


@dataclass(frozen=True)
class KernelTree:
    """One kernel's emulated ``/kaggle``."""

    root: Path

    @property
    def input(self) -> Path:
        return self.root / "input"

    @property
    def working(self) -> Path:
        return self.root / "working"


def make_tree(base: Path, slug: str) -> KernelTree:
    """``base/<slug>`` with an empty ``input`` and an empty ``working`` (Kaggle gives every
    run a fresh working directory)."""
    tree = KernelTree(base / slug)
    for folder in (tree.input, tree.working):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    return tree


def mount_competition(tree: KernelTree, data_dir: Path, competition: str,
                      exclude: tuple[str, ...] = ()) -> Path:
    """Link every top-level entry of ``data_dir`` except ``exclude`` into the input."""
    mount = tree.input / competition
    mount.mkdir(parents=True)
    for entry in sorted(data_dir.iterdir()):
        if entry.name not in exclude:
            os.symlink(entry.resolve(), mount / entry.name)
    return mount


def mount_output(tree: KernelTree, output: Path, *, owner: str, slug: str, layout: str) -> Path:
    """Link a kernel's output where Kaggle would mount it as a kernel source."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r}: expected one of {', '.join(LAYOUTS)}")
    mount = (tree.input / "notebooks" / owner / slug) if layout == "notebooks" \
        else (tree.input / slug)
    mount.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(output.resolve(), mount)
    return mount


def folder_bytes(folder: Path) -> int:
    """Bytes of all regular files below ``folder`` (links not followed)."""
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                total += os.path.getsize(path)
    return total
