"""The image files of a listed layout's train location, in row order (shared by the
layouts whose file names or folders carry the labels)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Iterator

import numpy as np

from shared.sources.stores import archive_of, open_store

if TYPE_CHECKING:
    from shared.sources.layout import SourceLayout

__all__ = ["train_files", "slice_rows", "listing_parts"]


def train_files(layout: "SourceLayout", data_dir: Path, depth: int) -> list[str]:
    """The images ``depth`` levels below the train location (1: its own files; 2: the files
    of its subfolders), as paths relative to it, sorted by code point: the row order."""
    names = open_store(Path(data_dir) / layout.train_dir).names()
    return [n for n in names if len(PurePosixPath(n).parts) == depth]


def slice_rows(files: list[str], start: int, stop: int | None, where: str) -> np.ndarray:
    """Rows ``[start, stop)`` of the listing; ValueError when it is shorter than planned."""
    end = len(files) if stop is None else stop
    if end > len(files):
        raise ValueError(f"{where} holds {len(files)} images, but rows [{start}, {end}) were "
                         "planned: the files changed since the plan was made; re-plan and push "
                         "again")
    return np.asarray(files[start:end], dtype=object)


def listing_parts(layout: "SourceLayout", data_dir: Path) -> Iterator[str]:
    """Each train file's name and size (none when the train location is in an archive: the
    archive's own digest covers it)."""
    location = Path(data_dir) / layout.train_dir
    if archive_of(location) is not None:
        return
    for name, size in sorted(open_store(location).sizes().items()):
        yield f"{layout.train_dir}/{name}:{size}"
