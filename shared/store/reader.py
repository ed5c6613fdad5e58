"""ShardSet: every manifest found below a root, merged and validated as one data set.

``ShardSet.discover(root)`` globs ``manifest.json`` at any depth (Kaggle has mounted kernel
outputs both at ``/kaggle/input/<slug>/`` and ``/kaggle/input/notebooks/<owner>/<slug>/``),
checks that all of them describe the same data set, that each split's row ranges cover
``[0, N)`` with no gap and no overlap, and that every listed file is present with its listed
size and header (``verify="full"`` also recomputes every checksum).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shared.kaggle_paths import find_files
from shared.store.coverage import PlacedShard, check_coverage
from shared.store.manifest import MANIFEST_NAME, DatasetSpec, Manifest, PlanEntry, Reject
from shared.store.npy import read_header, sha256_file

__all__ = ["ShardSet", "SplitIndex", "ShardFiles", "ShardSetError", "find_manifests"]


class ShardSetError(ValueError):
    """The shards found do not form one complete, intact data set."""


@dataclass(frozen=True)
class ShardFiles:
    """Paths of one shard's files and where its samples sit among the split's samples."""

    start: int
    stop: int
    count: int
    x: str
    y: str | None
    ids: str | None


@dataclass(frozen=True)
class SplitIndex:
    """One split's shards in row order: picklable paths and offsets, no open files."""

    split: str
    sample_shape: tuple[int, int, int]
    shards: tuple[ShardFiles, ...]
    rejected_rows: tuple[int, ...] = ()

    @property
    def offsets(self) -> np.ndarray:
        """Sample offset of each shard (length ``len(shards) + 1``)."""
        return np.concatenate([[0], np.cumsum([s.count for s in self.shards])]).astype(np.int64)

    def __len__(self) -> int:
        return int(sum(s.count for s in self.shards))

    @property
    def labelled(self) -> bool:
        return all(s.y is not None for s in self.shards)

    def labels(self) -> np.ndarray:
        """All targets of the split, in sample order: class indices, multi-hot rows or values
        (small: a byte or a few per sample)."""
        if not self.labelled:
            raise ShardSetError(f"the {self.split} split has no labels")
        return np.concatenate([_load(s.y) for s in self.shards]) if self.shards else \
            np.zeros(0, np.int64)

    def ids(self) -> np.ndarray:
        """All stored ids of the split, in sample order."""
        if any(s.ids is None for s in self.shards):
            raise ShardSetError(f"the {self.split} split was written without ids")
        return np.concatenate([_load(s.ids) for s in self.shards])

    def source_rows(self) -> np.ndarray:
        """Source row of each sample (rejected rows are absent)."""
        rows = np.concatenate([np.arange(s.start, s.stop) for s in self.shards]) \
            if self.shards else np.zeros(0, np.int64)
        return np.setdiff1d(rows, np.asarray(self.rejected_rows, np.int64), assume_unique=True)


def _load(path: str) -> np.ndarray:
    return np.load(path, mmap_mode=None, allow_pickle=False)


def find_manifests(root: str | os.PathLike) -> list[Path]:
    """Every ``manifest.json`` below ``root``, at any depth, in sorted order.

    Symbolic links are followed, and a folder reached twice (through a link, or a link loop)
    is read once, at the first path in sorted order; two real copies of one output are two
    folders and are both returned (``ShardSet.discover`` refuses their overlap).
    """
    return find_files(root, MANIFEST_NAME)


class ShardSet:
    """The merged, validated shards of every kernel (see module docstring)."""

    def __init__(self, root: str, manifests: list[tuple[Path, Manifest]],
                 splits: dict[str, SplitIndex], rejects: tuple[Reject, ...]) -> None:
        self.root = root
        self.manifests = manifests
        self.spec: DatasetSpec = manifests[0][1].spec
        self.splits = splits
        self.rejects = rejects

    @property
    def sample_shape(self) -> tuple[int, int, int]:
        return self.spec.sample_shape

    @property
    def classes(self) -> tuple[Any, ...]:
        return self.spec.classes

    def split(self, name: str) -> SplitIndex:
        if name not in self.splits:
            raise ShardSetError(f"no {name!r} split under {self.root}: the manifests hold "
                                f"{', '.join(self.splits) or 'no split'}")
        return self.splits[name]

    @classmethod
    def discover(cls, root: str | os.PathLike, *, verify: str = "size") -> "ShardSet":
        """Find, merge and validate; ``verify`` is ``"size"`` or ``"full"`` (checksums)."""
        if verify not in ("size", "full"):
            raise ValueError(f"verify={verify!r}: expected 'size' or 'full'")
        root_s = str(root)
        paths = find_manifests(root)
        if not paths:
            raise FileNotFoundError(
                f"no {MANIFEST_NAME} found under {root_s}: attach the preprocessing kernels' "
                "outputs as inputs (kernel_sources), or point --input at the folder holding them")
        manifests = [(p, Manifest.load(p)) for p in paths]
        _check_same_dataset(manifests)
        spec = manifests[0][1].spec
        plan = _merged_plan(manifests)
        rejects = tuple(r for _, m in manifests for r in m.rejects)
        splits = {}
        for split, total in spec.split_rows.items():
            placed = [PlacedShard(s, str(p), m.producer) for p, m in manifests
                      for s in m.shards if s.split == split]
            check_coverage(split, total, placed, rejects, plan, root_s)
            for item in placed:
                _check_files(item, verify, spec)
            placed.sort(key=lambda p: p.record.start)
            splits[split] = SplitIndex(
                split=split, sample_shape=spec.sample_shape,
                shards=tuple(_files_of(p) for p in placed),
                rejected_rows=tuple(sorted(r.row for r in rejects if r.split == split)))
        return cls(root_s, manifests, splits, rejects)


def _check_same_dataset(manifests: list[tuple[Path, Manifest]]) -> None:
    first_path, first = manifests[0]
    fields = {
        "sample_shape": lambda m: m.spec.sample_shape,
        "classes": lambda m: list(m.spec.classes),
        "targets": lambda m: (m.spec.targets, m.spec.task),
        "rows per split": lambda m: dict(m.spec.split_rows),
        "id column": lambda m: m.spec.id_column,
        "source fingerprint": lambda m: m.source_fingerprint,
    }
    for path, m in manifests[1:]:
        for name, get in fields.items():
            if get(m) != get(first):
                raise ShardSetError(
                    f"{path} and {first_path} describe different data sets: {name} is "
                    f"{get(m)!r} in the first and {get(first)!r} in the second. Every "
                    "preprocessing kernel must be built from the same plan and [source] "
                    f"settings: re-run {m.producer} (or remove the stale output)")


def _merged_plan(manifests: list[tuple[Path, Manifest]]) -> list[PlanEntry]:
    entries = {e for _, m in manifests for e in m.plan}
    return sorted(entries, key=lambda e: (e.split, e.start))


def _check_files(placed: PlacedShard, verify: str, spec: DatasetSpec) -> None:
    folder = Path(placed.manifest).parent
    expected = spec.sample_files(placed.record.split)
    for key, rec in placed.record.files.items():
        if key in expected and (tuple(rec.shape[1:]) != expected[key][0]
                                or np.dtype(rec.dtype) != expected[key][1]):
            raise ShardSetError(
                f"{placed.manifest} lists {rec.name} as {tuple(rec.shape)} {np.dtype(rec.dtype)}, "
                f"but its data set stores {spec.targets if key == 'y' else key} as (n, "
                f"{', '.join(map(str, expected[key][0]))}) {expected[key][1]}: the output was "
                f"written by other code; re-run {placed.producer}")
        path = folder / rec.name
        where = f"{path} (listed in {placed.manifest})"
        if not path.is_file():
            raise FileNotFoundError(
                f"shard file {where} is missing: the output of {placed.producer} is "
                "incomplete; re-run that kernel")
        size = path.stat().st_size
        if size != rec.bytes:
            raise ShardSetError(
                f"shard file {where} has {size} bytes, expected {rec.bytes}: it is truncated or "
                f"was modified; re-run {placed.producer}")
        shape, dtype, _ = read_header(path)
        if shape != tuple(rec.shape) or dtype != np.dtype(rec.dtype):
            raise ShardSetError(
                f"shard file {where} holds shape {shape} {dtype}, the manifest says "
                f"{tuple(rec.shape)} {np.dtype(rec.dtype)}; re-run {placed.producer}")
        if verify == "full" and sha256_file(path) != rec.sha256:
            raise ShardSetError(
                f"shard file {where} fails its checksum (sha256 differs from the manifest): "
                f"its content is corrupt; re-run {placed.producer}")


def _files_of(placed: PlacedShard) -> ShardFiles:
    folder = Path(placed.manifest).parent
    files = placed.record.files
    path = lambda key: str(folder / files[key].name) if key in files else None  # noqa: E731
    rec = placed.record
    return ShardFiles(start=rec.start, stop=rec.stop, count=rec.count, x=path("x"), y=path("y"),
                      ids=path("ids"))
