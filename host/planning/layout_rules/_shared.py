"""What the image layouts' rules share: the test split's folder, the image probe and the
notes on archives."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from host.planning.layout_rules.base import LayoutEvidence
from host.planning.locate import check_ids_name_one_image, locate
from host.planning.probe import probe_images
from shared.sources.images import ImageLocator
from shared.sources.stores import archive_of

__all__ = ["test_folder", "probed", "archive_notes"]


def test_folder(e: LayoutEvidence) -> tuple[str, str, list[str]]:
    """The test images' folder and extension, and the notes of their ids."""
    if not len(e.test_ids):
        return "", "", []
    folder, ext = locate(e.index, e.data_dir, e.test_ids, "test")
    notes = check_ids_name_one_image(e.index, folder, e.test_ids, split="test", where=e.sample)
    return folder, ext, notes


def probed(e: LayoutEvidence, folder: str, ext: str, names: np.ndarray
           ) -> tuple[dict, list[str]]:
    """``image_size`` and ``channels`` (the settings', else the sampled images'), and the
    notes on how they vary."""
    source = e.source
    if source.image_size and source.channels:
        return {"image_size": tuple(source.image_size), "channels": source.channels}, []
    probe = probe_images(ImageLocator(e.data_dir / folder, ext), names)
    return ({"image_size": tuple(source.image_size) or probe.size,
             "channels": source.channels or probe.channel_count},
            probe.notes(size=not source.image_size, channels=not source.channels))


def archive_notes(data_dir: Path, folders: Sequence[str]) -> list[str]:
    """A note when images are read from inside zip archives."""
    archives = []
    for folder in folders:
        inside = archive_of(data_dir / folder) if folder else None
        if inside is not None and inside[0].name not in archives:
            archives.append(inside[0].name)
    if not archives:
        return []
    return [f"images are decoded straight from {' and '.join(archives)}, without extracting "
            "them (nothing but the shards is written to disk)"]
