"""Finding a row's image by its id (with or without extension, any case) or path.

A kernel first tries the planned name (``<folder>/<id><ext>``: one ``stat``, or one lookup in
an archive's directory); only when that misses does it list the folder once, recursively, and
match by file name or by name without extension, ignoring case, the Unicode normal form (macOS
zips store ``é`` decomposed, as ``e`` + an accent, where a CSV holds it composed) and spaces
around the id. An integer id also matches a zero-padded file name (``7`` and ``00007.png``)
when exactly one file's number is that id. ``ImageLocator.find`` gives the image
(``shared.sources.stores.ImageFile``), in a folder or inside a zip archive alike; the planner
has checked that no id of the plan names two files.
"""

from __future__ import annotations

import os
import unicodedata
from collections import defaultdict
from pathlib import Path, PurePosixPath

from shared.sources.stores import (IMAGE_EXTENSIONS, FolderStore, ImageFile, ImageStore,
                                   ZipStore, is_archive, is_image_name, open_store)

__all__ = ["IMAGE_EXTENSIONS", "AmbiguousImageError", "ImageIndex", "ImageLocator",
           "is_image_name", "name_key"]


class AmbiguousImageError(ValueError):
    """Several files match one id (e.g. ``a.png`` and ``a.jpg``)."""


def name_key(name: str) -> str:
    """How names are compared: composed Unicode (NFC), lower case, no surrounding spaces."""
    return unicodedata.normalize("NFC", name).strip().lower()


def _number(stem: str) -> int | None:
    return int(stem) if stem.isascii() and stem.isdigit() else None


class ImageIndex:
    """Every image file of a store, keyed by lower-case name, by name without extension and,
    for numeric names, by number. Paths are relative to the store's location.

    ``archives``: also every image inside the zip archives below a folder, as
    ``<archive>/<member>``; a file on disk is preferred to an archive's copy of it.
    """

    def __init__(self, root: str | os.PathLike | ImageStore, *, archives: bool = False) -> None:
        store = root if isinstance(root, ImageStore) else open_store(root)
        self.store = store
        self._by_name: dict[str, list[str]] = defaultdict(list)
        self._by_stem: dict[str, list[str]] = defaultdict(list)
        self._by_number: dict[int, list[str]] = defaultdict(list)
        self.archives: tuple[str, ...] = ()
        files = store.files()  # one walk of a folder, one read of an archive's directory
        for path in files:
            if is_image_name(path):
                self._add(path)
        if archives and isinstance(store, FolderStore):
            self.archives = tuple(f for f in files if is_archive(store.root / f))
            for archive in self.archives:
                for member in ZipStore(store.root / archive).names():
                    self._add(f"{archive}/{member}")

    def _add(self, path: str) -> None:
        name = PurePosixPath(path).name
        stem = os.path.splitext(name)[0]
        self._by_name[name_key(name)].append(path)
        self._by_stem[name_key(stem)].append(path)
        number = _number(stem.strip())
        if number is not None:
            self._by_number[number].append(path)

    def paths(self) -> list[str]:
        """Every indexed image, sorted."""
        return sorted(p for found in self._by_name.values() for p in found)

    def in_archive(self, path: str) -> bool:
        return any(path.startswith(a + "/") for a in self.archives)

    def lookup(self, name: str) -> list[str]:
        """Relative paths of the files ``name`` may denote (an id with or without extension,
        or a number written with or without leading zeros); files on disk before archives'."""
        key = name_key(PurePosixPath(name).name)
        found = list(self._by_name.get(key, ()))
        if not is_image_name(key):
            found += [p for p in self._by_stem.get(key, ()) if p not in found]
        if not found and _number(key) is not None:
            found = list(self._by_number.get(int(key), ()))
        on_disk = [p for p in found if not self.in_archive(p)]
        return on_disk or found

    def padded(self, name: str, path: str) -> bool:
        """``path`` was found for ``name`` through its number alone (``7``: ``00007.png``)."""
        stem = name_key(os.path.splitext(PurePosixPath(path).name)[0])
        return _number(name_key(name)) is not None and stem != name_key(name)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_name.values())


class ImageLocator:
    """Resolves names to images inside one location (a folder, or a folder inside a zip
    archive): ``<location>/<name><ext>``, else the index. Usable in any process: it opens the
    location on first use in the process that uses it."""

    def __init__(self, folder: str | os.PathLike, ext: str = "") -> None:
        self.folder = Path(folder)
        self.ext = ext
        self._store: ImageStore | None = None
        self._index: ImageIndex | None = None

    def __getstate__(self) -> dict:
        return {"folder": self.folder, "ext": self.ext, "_store": None, "_index": None}

    @property
    def store(self) -> ImageStore:
        if self._store is None:
            self._store = open_store(self.folder)
        return self._store

    def find(self, name: str) -> ImageFile:
        """The image for ``name``; FileNotFoundError if none, AmbiguousImageError if several."""
        store = self.store
        for candidate in (f"{name}{self.ext}", f"{name.strip()}{self.ext}"):
            if store.is_file(candidate):
                return store.image(candidate)
        if self._index is None:
            self._index = ImageIndex(store)
        found = self._index.lookup(name)
        if len(found) == 1:
            return store.image(found[0])
        if not found:
            raise FileNotFoundError(f"no file for {name!r} in {self.folder.name}/ (tried "
                                    f"{name}{self.ext} and any image extension, any case)")
        raise AmbiguousImageError(f"several files match {name!r}: {', '.join(found[:4])}")
