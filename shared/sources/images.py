"""Finding a row's image file by its id (with or without extension, any case) or path.

A kernel first tries the planned name (``folder/<id><ext>``: one ``stat``); only when that
misses does it list the folder once, recursively, and match by file name or by name without
extension, ignoring case, the Unicode normal form (macOS zips store ``é`` decomposed, as
``e`` + an accent, where a CSV holds it composed) and spaces around the id.
"""

from __future__ import annotations

import os
import unicodedata
from collections import defaultdict
from pathlib import Path, PurePosixPath

__all__ = ["IMAGE_EXTENSIONS", "AmbiguousImageError", "ImageIndex", "ImageLocator",
           "is_image_name", "name_key"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")


class AmbiguousImageError(ValueError):
    """Several files match one id (e.g. ``a.png`` and ``a.jpg``)."""


def is_image_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def name_key(name: str) -> str:
    """How names are compared: composed Unicode (NFC), lower case, no surrounding spaces."""
    return unicodedata.normalize("NFC", name).strip().lower()


class ImageIndex:
    """Every image file below ``root``, keyed by lower-case name and by name without extension.

    Paths are relative to ``root``, with ``/`` separators.
    """

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self._by_name: dict[str, list[str]] = defaultdict(list)
        self._by_stem: dict[str, list[str]] = defaultdict(list)
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=True):
            dirnames.sort()
            rel = PurePosixPath(Path(dirpath).relative_to(self.root))
            for name in sorted(filenames):
                if is_image_name(name):
                    path = str(rel / name) if str(rel) != "." else name
                    self._by_name[name_key(name)].append(path)
                    self._by_stem[name_key(os.path.splitext(name)[0])].append(path)

    def lookup(self, name: str) -> list[str]:
        """Relative paths of the files ``name`` may denote (an id with or without extension)."""
        key = name_key(PurePosixPath(name).name)
        found = list(self._by_name.get(key, ()))
        if not is_image_name(key):
            found += [p for p in self._by_stem.get(key, ()) if p not in found]
        return found

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_name.values())


class ImageLocator:
    """Resolves names to files inside one folder: ``folder/<name><ext>``, else the index."""

    def __init__(self, folder: str | os.PathLike, ext: str = "") -> None:
        self.folder = Path(folder)
        self.ext = ext
        self._index: ImageIndex | None = None

    def find(self, name: str) -> Path:
        """The file for ``name``; FileNotFoundError if none, AmbiguousImageError if several."""
        direct = self.folder / f"{name}{self.ext}"
        if direct.is_file():
            return direct
        stripped = self.folder / f"{name.strip()}{self.ext}"
        if stripped != direct and stripped.is_file():
            return stripped
        if self._index is None:
            self._index = ImageIndex(self.folder)
        found = self._index.lookup(name)
        if len(found) == 1:
            return self.folder / found[0]
        if not found:
            raise FileNotFoundError(f"no file for {name!r} in {self.folder.name}/ (tried "
                                    f"{direct.name} and any image extension, any case)")
        raise AmbiguousImageError(f"several files match {name!r}: {', '.join(found[:4])}")
