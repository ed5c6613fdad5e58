"""The source fingerprint: which data, read how.

SHA-256 over the resolved layout (files, columns, folders, image size, channels, resize mode,
classes, row counts), the content of every CSV it reads (labels, sample submission, pixel
CSVs), the central directory (names, sizes, CRCs) of every zip archive its images are read
from, and, for a layout whose train rows are the image files themselves, their names and
sizes. The planner computes it on the local copy; each kernel recomputes it on its mounted
copy and refuses to run when they differ. Image files in folders are not hashed (there can be
millions): a kernel trusts that the images an unchanged listing or labels CSV names are
unchanged.

In a code competition (``SourceLayout.test_at_inference``) Kaggle's scoring rerun swaps the
test folder and ``sample_submission.csv`` for hidden ones: the fingerprint then covers the
train side alone (``SourceLayout.train_side``, the labels CSV, the train archive), what a
rerun keeps.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from shared.sources.layout import SourceLayout
from shared.sources.layouts import layout_kind
from shared.sources.stores import archive_digest, archive_of
from shared.store.npy import sha256_file

__all__ = ["source_fingerprint", "check_source_fingerprint", "archives_read"]


def archives_read(layout: SourceLayout, data_dir: str | Path) -> tuple[Path, ...]:
    """The zip archives the layout reads images from (train and test; a code competition's
    train alone), each once."""
    found: list[Path] = []
    folders = (layout.train_dir,) if layout.test_at_inference else (layout.train_dir,
                                                                    layout.test_dir)
    for folder in folders:
        inside = archive_of(Path(data_dir) / folder) if folder else None
        if inside is not None and inside[0] not in found:
            found.append(inside[0])
    return tuple(found)


def source_fingerprint(layout: SourceLayout, data_dir: str | Path) -> str:
    """Hex SHA-256 identifying the layout and the content it reads (module docstring)."""
    digest = hashlib.sha256()
    described = layout.train_side() if layout.test_at_inference else layout.to_dict()
    digest.update(json.dumps(described, sort_keys=True, default=repr).encode())
    for name in layout.source_files():
        path = Path(data_dir) / name
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: the competition folder {data_dir} does "
                                    f"not hold the files the plan was made from")
        digest.update(f"\n{name}:{sha256_file(path)}".encode())
    for archive in archives_read(layout, data_dir):
        digest.update(f"\n{archive.name}:{archive_digest(archive)}".encode())
    for part in layout_kind(layout.kind).listing_parts(layout, Path(data_dir)):
        digest.update(f"\n{part}".encode())
    return digest.hexdigest()


def check_source_fingerprint(layout: SourceLayout, data_dir: str | Path, expected: str) -> None:
    """ValueError unless the data in ``data_dir`` is what the plan was made from."""
    actual = source_fingerprint(layout, data_dir)
    if actual != expected:
        covered = [*layout.source_files(),
                   *(a.name for a in archives_read(layout, data_dir))]
        if layout_kind(layout.kind).listed:
            covered.append(f"the files in {layout.train_dir}/")
        raise ValueError(
            f"the competition data in {data_dir} differs from the data the plan was made from "
            f"(source fingerprint {actual[:12]}, planned {expected[:12]}; it covers "
            f"{', '.join(covered)} and the [source] settings). Download the current data, "
            "re-plan and push the kernels again")
