"""The shard store: uint8 ``.npy`` shards plus ``manifest.json`` (the on-disk contract).

Writing: :class:`ShardWriter`. Reading and validating: :meth:`ShardSet.discover`.
"""

from shared.store.coverage import CoverageError
from shared.store.diskspace import DiskFullError
from shared.store.layout import WriterOptions
from shared.store.manifest import (FORMAT_VERSION, MANIFEST_NAME, DatasetSpec, FileRecord, Manifest,
                                   PlanEntry, Reject, RowRange, ShardRecord)
from shared.store.reader import ShardFiles, ShardSet, ShardSetError, SplitIndex, find_manifests
from shared.store.writer import ShardWriter

__all__ = [
    "CoverageError", "DatasetSpec", "DiskFullError", "FORMAT_VERSION", "FileRecord",
    "MANIFEST_NAME", "Manifest", "PlanEntry", "Reject", "RowRange", "ShardFiles", "ShardRecord",
    "ShardSet", "ShardSetError", "ShardWriter", "SplitIndex", "WriterOptions", "find_manifests",
]
