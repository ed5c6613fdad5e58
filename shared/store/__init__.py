"""The shard store: uint8 ``.npy`` shards plus ``manifest.json`` (the on-disk contract).

Writing: :class:`ShardWriter`. Reading and validating: :meth:`ShardSet.discover`. Names are
imported from their module on first use (``shared.lazy``).
"""

from shared.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "shared.store.coverage": ("CoverageError",),
    "shared.store.diskspace": ("DiskFullError",),
    "shared.store.sharding": ("WriterOptions",),
    "shared.store.manifest": ("FORMAT_VERSION", "MANIFEST_NAME", "DatasetSpec", "FileRecord",
                              "Manifest", "PlanEntry", "Reject", "RowRange", "ShardRecord"),
    "shared.store.reader": ("ShardFiles", "ShardSet", "ShardSetError", "SplitIndex",
                            "find_manifests"),
    "shared.store.writer": ("ShardWriter",),
})
