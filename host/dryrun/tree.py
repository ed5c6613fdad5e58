"""An emulated Kaggle file tree per kernel: ``<root>/input`` (mounted sources) and
``<root>/working`` (the kernel's output and current directory).

Kaggle gives every run an empty working folder; the dry run does too, with two exceptions
that keep a user's work: a preprocessing kernel whose bundle is the one that last used the
folder resumes there (an interrupted dry run picks up at the first missing shard), and the
train kernel's earlier outputs stay until a new run succeeds (``replacing_working``).

Mounts are symbolic links, the way Kaggle mounts sources without copying them: the
competition folder at ``input/<competition>/`` (minus the local solution file, which Kaggle
never ships) and each preprocessing kernel's output at ``input/notebooks/<owner>/<slug>/``
(``mounts="notebooks"``) or ``input/<slug>/`` (``mounts="legacy"``), and each Kaggle Models
preset it lists in ``model_sources`` (the local copy in kagglehub's cache) at
``input/models/<owner>/<model>/<framework>/<variation>/<version>`` or, legacy,
``input/<model>/<framework>/<variation>/<version>``.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

__all__ = ["KernelTree", "MOUNT_STYLES", "make_tree", "mount_competition", "mount_output",
           "mount_model", "folder_bytes", "replacing_working"]

MOUNT_STYLES = ("notebooks", "legacy")  # how kernel outputs are mounted
_BUNDLE_MARK = "bundle-fingerprint"  # beside input/ and working/: who last used working/


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


def make_tree(base: Path, slug: str, *, resume_bundle: str = "",
              clear_working: bool = True) -> KernelTree:
    """``base/<slug>`` with an empty ``input`` and an empty ``working`` (Kaggle gives every
    run a fresh working directory). ``resume_bundle``: keep ``working`` when a kernel with
    this bundle fingerprint used it last. ``clear_working=False`` leaves it as it is."""
    tree = KernelTree(base / slug)
    mark = tree.root / _BUNDLE_MARK
    keep = not clear_working or (bool(resume_bundle) and mark.is_file()
                                 and mark.read_text(encoding="utf-8") == resume_bundle)
    for folder in (tree.input,) if keep else (tree.input, tree.working):
        if folder.exists():
            shutil.rmtree(folder)
    for folder in (tree.input, tree.working):
        folder.mkdir(parents=True, exist_ok=True)
    if resume_bundle:
        mark.write_text(resume_bundle, encoding="utf-8")
    return tree


@contextmanager
def replacing_working(tree: KernelTree) -> Iterator[Path]:
    """An empty working folder for a run whose earlier outputs stay until it succeeds: they
    wait in ``working.previous`` and come back if the run fails (or is interrupted), the
    failed run's files then kept in ``working.failed``."""
    previous, failed = tree.root / "working.previous", tree.root / "working.failed"
    if previous.exists():  # a run killed mid-swap: previous holds the last good outputs
        if tree.working.exists():
            shutil.rmtree(tree.working)
        previous.rename(tree.working)
    if tree.working.exists() and any(tree.working.iterdir()):
        tree.working.rename(previous)
    tree.working.mkdir(parents=True, exist_ok=True)
    try:
        yield tree.working
    except BaseException:
        if previous.exists():
            if failed.exists():
                shutil.rmtree(failed)
            tree.working.rename(failed)
            previous.rename(tree.working)
        raise
    for folder in (previous, failed):
        if folder.exists():
            shutil.rmtree(folder)


def mount_competition(tree: KernelTree, data_dir: Path, competition: str,
                      exclude: tuple[str, ...] = ()) -> Path:
    """Link every top-level entry of ``data_dir`` except ``exclude`` into the input."""
    mount = tree.input / competition
    mount.mkdir(parents=True)
    for entry in sorted(data_dir.iterdir()):
        if entry.name not in exclude:
            os.symlink(entry.resolve(), mount / entry.name)
    return mount


def mount_output(tree: KernelTree, output: Path, *, owner: str, slug: str, mounts: str) -> Path:
    """Link a kernel's output where Kaggle would mount it as a kernel source."""
    if mounts not in MOUNT_STYLES:
        raise ValueError(f"mounts {mounts!r}: expected one of {', '.join(MOUNT_STYLES)}")
    mount = (tree.input / "notebooks" / owner / slug) if mounts == "notebooks" \
        else (tree.input / slug)
    mount.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(output.resolve(), mount)
    return mount


def mount_model(tree: KernelTree, handle: str, local: Path, *, mounts: str) -> Path:
    """Link the local copy of the Kaggle Models preset ``handle`` where Kaggle mounts it."""
    if mounts not in MOUNT_STYLES:
        raise ValueError(f"mounts {mounts!r}: expected one of {', '.join(MOUNT_STYLES)}")
    parts = handle.split("/")
    mount = tree.input.joinpath("models", *parts) if mounts == "notebooks" \
        else tree.input.joinpath(*parts[1:])
    mount.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(local.resolve(), mount)
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
