"""The source fingerprint: which data, read how.

SHA-256 over the resolved layout (files, columns, folders, image size, channels, resize mode,
classes, row counts) and the content of every CSV it reads (labels, sample submission, pixel
CSVs). The planner computes it on the local copy; each kernel recomputes it on its mounted
copy and refuses to run when they differ. Image files are not hashed (there can be
millions): a kernel trusts that the images an unchanged labels CSV names are unchanged.

In a code competition (``SourceLayout.test_at_inference``) Kaggle's scoring rerun swaps the
test folder and ``sample_submission.csv`` for hidden ones: the fingerprint then covers the
train side alone (``SourceLayout.train_side`` and the labels CSV), what a rerun keeps.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from shared.sources.layout import SourceLayout
from shared.store.npy import sha256_file

__all__ = ["source_fingerprint", "check_source_fingerprint"]


def source_fingerprint(layout: SourceLayout, data_dir: str | Path) -> str:
    """Hex SHA-256 identifying the layout and the content of its CSV files."""
    digest = hashlib.sha256()
    described = layout.train_side() if layout.test_at_inference else layout.to_dict()
    digest.update(json.dumps(described, sort_keys=True, default=repr).encode())
    for name in layout.source_files():
        path = Path(data_dir) / name
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found: the competition folder {data_dir} does "
                                    f"not hold the files the plan was made from")
        digest.update(f"\n{name}:{sha256_file(path)}".encode())
    return digest.hexdigest()


def check_source_fingerprint(layout: SourceLayout, data_dir: str | Path, expected: str) -> None:
    """ValueError unless the data in ``data_dir`` is what the plan was made from."""
    actual = source_fingerprint(layout, data_dir)
    if actual != expected:
        files = ", ".join(layout.source_files())
        raise ValueError(
            f"the competition data in {data_dir} differs from the data the plan was made from "
            f"(source fingerprint {actual[:12]}, planned {expected[:12]}; it covers {files} and "
            "the [source] settings). Download the current data, re-plan and push the kernels "
            "again")
