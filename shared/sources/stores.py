"""Where images are kept: a folder, or a folder inside a ``.zip`` archive, read in place.

Kaggle ships many competitions as ``train.zip`` / ``test.zip``, and mounts some that way.
Unzipping would spend a kernel's scarce disk, so images are decoded straight from the
archive: a location such as ``train.zip/train`` is the folder ``train/`` inside the archive
``train.zip`` (``open_store``). ``ImageFile`` names one image either way (a path, or an
``ArchiveMember``) and ``open_image_file`` opens it for Pillow.

An archive is opened once per process and kept open (reopened when the file is replaced);
worker processes forked from a parent that had it open reopen it (a shared file offset would
mix their reads).
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Union

__all__ = ["IMAGE_EXTENSIONS", "ARCHIVE_SUFFIX", "ArchiveMember", "ImageFile", "ImageStore",
           "FolderStore", "ZipStore", "open_store", "open_image_file", "is_image_name",
           "archive_of", "archive_digest", "is_archive"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif")
ARCHIVE_SUFFIX = ".zip"

# (process id, archive path) -> (its identity when opened, the open handle)
_OPEN: dict[tuple[int, str], tuple[tuple[int, int, int], zipfile.ZipFile]] = {}


def is_image_name(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS


def _zip(archive: Path) -> zipfile.ZipFile:
    """The archive's handle in this process, reopened when the file was replaced."""
    key = (os.getpid(), str(archive))
    stat = os.stat(archive)
    identity = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    opened = _OPEN.get(key)
    if opened is not None and opened[0] == identity:
        return opened[1]
    if opened is not None:
        opened[1].close()
    try:
        handle = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{archive} is not a readable zip archive ({exc}): download it "
                         "again") from None
    _OPEN[key] = (identity, handle)
    return handle


@dataclass(frozen=True)
class ArchiveMember:
    """One file inside a zip archive."""

    archive: Path
    member: str  # its name inside the archive, ``/``-separated

    @property
    def name(self) -> str:
        return PurePosixPath(self.member).name

    def read(self) -> bytes:
        try:
            return _zip(self.archive).read(self.member)
        except KeyError:
            raise FileNotFoundError(2, f"no member {self.member} in {self.archive.name}",
                                    self.member) from None

    def __str__(self) -> str:
        return f"{self.archive}/{self.member}"


ImageFile = Union[Path, ArchiveMember]


def open_image_file(image: ImageFile | str | os.PathLike) -> BinaryIO | str | os.PathLike:
    """What Pillow's ``Image.open`` takes for ``image``: the path, or the member's bytes."""
    if isinstance(image, ArchiveMember):
        return io.BytesIO(image.read())
    return image


class ImageStore:
    """The image files below one location, by path relative to it (``/``-separated)."""

    def files(self) -> list[str]:
        """Every file below the location, sorted."""
        raise NotImplementedError

    def names(self) -> list[str]:
        """Every image file below the location, sorted (code point order)."""
        return [f for f in self.files() if is_image_name(f)]

    def is_file(self, relative: str) -> bool:
        raise NotImplementedError

    def image(self, relative: str) -> ImageFile:
        raise NotImplementedError

    def sizes(self) -> dict[str, int]:
        """Each file's size in bytes (what a listing's fingerprint hashes with its name)."""
        raise NotImplementedError


class FolderStore(ImageStore):
    """A folder on disk (links followed, as Kaggle's mounts are links)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def files(self) -> list[str]:
        found = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=True):
            dirnames.sort()
            rel = PurePosixPath(Path(dirpath).relative_to(self.root))
            found += [name if str(rel) == "." else str(rel / name) for name in filenames]
        return sorted(found)

    def is_file(self, relative: str) -> bool:
        return (self.root / relative).is_file()

    def image(self, relative: str) -> ImageFile:
        return self.root / relative

    def sizes(self) -> dict[str, int]:
        return {f: (self.root / f).stat().st_size for f in self.files()}


class ZipStore(ImageStore):
    """The members of a zip archive below ``prefix`` (``""``: the whole archive)."""

    def __init__(self, archive: Path, prefix: str = "") -> None:
        self.archive = Path(archive)
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._members: dict[str, zipfile.ZipInfo] | None = None

    def _infos(self) -> dict[str, zipfile.ZipInfo]:
        if self._members is None:
            cut = len(self.prefix)
            self._members = {info.filename[cut:]: info for info in _zip(self.archive).infolist()
                             if not info.is_dir() and info.filename.startswith(self.prefix)}
        return self._members

    def files(self) -> list[str]:
        return sorted(self._infos())

    def is_file(self, relative: str) -> bool:
        return relative in self._infos()

    def image(self, relative: str) -> ImageFile:
        return ArchiveMember(self.archive, self.prefix + relative)

    def sizes(self) -> dict[str, int]:
        return {name: info.file_size for name, info in self._infos().items()}


def archive_of(location: Path) -> tuple[Path, str] | None:
    """``(archive, folder inside it)`` when ``location`` passes through a ``.zip`` file."""
    location = Path(location)
    for parent in (*reversed(location.parents), location):
        if parent.suffix.lower() == ARCHIVE_SUFFIX and parent.is_file():
            inside = location.relative_to(parent).parts
            return parent, "/".join(inside)
    return None


def open_store(location: str | os.PathLike) -> ImageStore:
    """The store at ``location``: a folder, or a folder inside a zip archive."""
    inside = archive_of(Path(location))
    if inside is None:
        return FolderStore(Path(location))
    return ZipStore(*inside)


def archive_digest(archive: Path) -> str:
    """SHA-256 of a zip archive's central directory (every member's name, size and CRC), not
    of its bytes: what the source fingerprint holds of an archive."""
    digest = hashlib.sha256()
    for info in sorted(_zip(archive).infolist(), key=lambda i: i.filename):
        digest.update(f"{info.filename}\0{info.file_size}\0{info.CRC:08x}\n".encode())
    return digest.hexdigest()


def is_archive(path: Path) -> bool:
    """A ``.zip`` file that is a zip archive."""
    return path.suffix.lower() == ARCHIVE_SUFFIX and zipfile.is_zipfile(path)
