"""Where the train images of a layout without a labels CSV are: the images outside the test
folder, in a folder named like ``train`` when there is one; files on disk before an archive's
copies of them."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import PurePosixPath

from host.planning.layout_rules.base import LayoutEvidence
from host.planning.locate import in_folder

__all__ = ["train_images", "describe_folders"]


def train_images(e: LayoutEvidence, test_dir: str) -> list[str]:
    """Image paths (relative to the competition folder) that may be the train images."""
    index = e.index
    paths = index.paths()
    if test_dir:
        paths = [p for p in paths if not in_folder(p, test_dir)]
    on_disk = [p for p in paths if not index.in_archive(p)]
    paths = on_disk or paths
    named = [p for p in paths if any("train" in part.lower()
                                     for part in PurePosixPath(p).parts[:-1])]
    return sorted(named or paths)


def describe_folders(paths: list[str]) -> str:
    """``train/ (30 images), extra/ (2)``: where ``paths`` lie."""
    counts = Counter(os.path.dirname(p) or "." for p in paths)
    return ", ".join(f"{folder}/ ({n})" for folder, n in counts.most_common(4)) + \
        (f" and {len(counts) - 4} more folders" if len(counts) > 4 else "")
