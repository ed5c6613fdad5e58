"""Where a split's images are, and whether every id names exactly one of them.

``locate`` finds the folder (or the folder inside a zip archive) holding a split's images and
the extension to append to an id; ``check_ids_name_one_image`` looks every id up (an id with
two files, ``a.png`` and ``a.jpg``, is refused: the two splits could read different ones) and
says which ids matched a zero-padded name (``7``: ``00007.png``). ``unreadable_inputs`` names
what the pipeline cannot read in place (``.7z`` and tar archives, DICOM files), for the
refusals that find no image.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Sequence

import numpy as np

from shared.sources.images import IMAGE_EXTENSIONS, ImageIndex, name_key
from shared.sources.stores import FolderStore
from shared.tasks.base import examples

__all__ = ["spread", "locate", "path_base", "in_folder", "check_ids_name_one_image",
           "unreadable_inputs", "UNREADABLE"]

# what cannot be read in place, and what to do instead
UNREADABLE = {
    ".7z": "a 7z archive", ".rar": "a RAR archive", ".tar": "a tar archive",
    ".tar.gz": "a tar archive", ".tgz": "a tar archive", ".tar.bz2": "a tar archive",
    ".tar.xz": "a tar archive", ".dcm": "a DICOM file", ".dicom": "a DICOM file"}


def spread(values: np.ndarray, k: int = 5) -> list[str]:
    picks = np.unique(np.linspace(0, len(values) - 1, min(k, len(values))).astype(int))
    return [str(values[i]) for i in picks]


def _suffix(name: str) -> str:
    lower = name.lower()
    return next((s for s in sorted(UNREADABLE, key=len, reverse=True) if lower.endswith(s)), "")


def unreadable_inputs(data_dir: Path) -> str:
    """A sentence on the archives and DICOM files below ``data_dir`` ("" if none)."""
    found: dict[str, list[str]] = {}
    for name in FolderStore(data_dir).files():
        suffix = _suffix(name)
        if suffix:
            found.setdefault(UNREADABLE[suffix], []).append(name)
    parts = []
    for what, names in sorted(found.items()):
        if what == "a DICOM file":
            parts.append(f"{len(names)} DICOM files (e.g. {names[0]}): DICOM is not decoded; "
                         "convert them to PNG first (pydicom, or dcm2png). Studies of many "
                         "DICOM images per patient id, as the RSNA competitions ship, are out "
                         "of this pipeline's scope (see docs/code-competitions.md)")
        else:
            parts.append(f"{', '.join(names[:3])} ({what}): only .zip archives are read in "
                         f"place; extract it into the competition folder (e.g. "
                         f"{'7z x' if '7z' in what else 'tar -xf'} {names[0]})")
    return "; ".join(parts)


def in_folder(path: str, folder: str) -> bool:
    return folder in ("", ".") or path.startswith(folder.rstrip("/") + "/")


def locate(index: ImageIndex, data_dir: Path, names: np.ndarray, split: str) -> tuple[str, str]:
    """The folder (relative to ``data_dir``; through an archive: ``train.zip/train``) holding
    the split's images, and the extension to append to an id ("" when the ids carry it)."""
    picks = spread(names)
    chosen = []  # (name, its file); a missing image is skipped here and rejected later
    for name in picks:
        matches = index.lookup(name)
        in_split = [m for m in matches if any(split in part.lower()
                                              for part in PurePosixPath(m).parts[:-1])]
        if matches:
            chosen.append((name, PurePosixPath((in_split or matches)[0])))
    if not chosen:
        hint = unreadable_inputs(data_dir)
        raise FileNotFoundError(
            f"no image for {split} id {picks[0]!r} under {data_dir}: looked for {picks[0]} with "
            f"and without {'/'.join(IMAGE_EXTENSIONS)}, any case, in every folder and inside "
            "every .zip archive. " + (f"Found {hint}" if hint else
                                      f"Put the {split} images in the competition folder, or "
                                      "set [source] path_column to a column of image paths"))
    folder = os.path.commonpath([str(path.parent) for _, path in chosen])
    name, first = chosen[0]
    id_has_ext = name_key(first.name) == name_key(PurePosixPath(name).name)
    padded = index.padded(name, str(first))
    return ("" if folder in ("", ".") else folder), (
        "" if id_has_ext or padded else first.suffix)


def path_base(data_dir: Path, paths: np.ndarray) -> tuple[str, str]:
    """The folder that the path column's values are relative to."""
    picks = spread(paths)
    bases = [""] + sorted(str(p.relative_to(data_dir)) for p in data_dir.iterdir() if p.is_dir())
    for base in bases:
        if all((data_dir / base / p).is_file() for p in picks):
            return base, ""
    raise FileNotFoundError(f"the path column's files (e.g. {picks[0]!r}) are not found relative "
                            f"to {data_dir} or any folder in it: check [source] path_column")


def check_ids_name_one_image(index: ImageIndex, folder: str, names: Sequence[str], *,
                             split: str, where: str) -> list[str]:
    """ValueError naming the ids that match two or more images in ``folder``; the notes for
    the plan (ids matched through a zero-padded number)."""
    ambiguous, padded = [], []
    for name in names:
        found = [p for p in index.lookup(str(name)) if in_folder(p, folder)]
        if len(found) > 1:
            ambiguous.append((str(name), found))
        elif found and index.padded(str(name), found[0]):
            padded.append((str(name), found[0]))
    if ambiguous:
        name, files = ambiguous[0]
        more = f" ({len(ambiguous)} ids do, e.g. {examples([a for a, _ in ambiguous])})" \
            if len(ambiguous) > 1 else ""
        raise ValueError(
            f"{split} id {name!r} ({where}) names {len(files)} images: {', '.join(files[:4])}"
            f"{more}. Each id must name one image, or the train and test sides could read "
            "different ones: remove the extra files (or rename them)")
    if not padded:
        return []
    name, file = padded[0]
    return [f"{len(padded)} {split} ids ({where}) match zero-padded file names, e.g. {name!r} "
            f"is {file}: each matches the one file whose number it is"]
