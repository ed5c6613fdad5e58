"""The on-disk contract: ``manifest.json`` and the records it holds.

One manifest sits at the top of each preprocessing kernel's output and lists every shard
that kernel wrote. Row ranges are global source rows ``[start, stop)`` of one split; a
shard stores ``count`` samples, fewer than ``stop - start`` when rows were rejected.

The train split's targets (``y`` files) come in three kinds, named by ``DatasetSpec.targets``:
``class`` (class indices ``(n,)`` into ``classes``, the smallest unsigned dtype), ``multi_hot``
(uint8 ``(n, K)``, column ``k`` for tag ``classes[k]``) and ``value`` (float32 ``(n,)``).
Format version 2 added ``targets`` and ``task``; version 1 manifests read as ``class`` targets
of a ``label`` task, as they were written.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from shared.store.atomic import fsync_dir, write_text_atomic

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MANIFEST_NAME",
    "SPLITS",
    "TARGET_KINDS",
    "RowRange",
    "PlanEntry",
    "FileRecord",
    "ShardRecord",
    "Reject",
    "DatasetSpec",
    "Manifest",
    "label_dtype",
    "write_json_atomic",
    "fsync_dir",
]

FORMAT_NAME = "kaggle-pipeline-shards"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
TARGET_KINDS = ("class", "multi_hot", "value")
MANIFEST_NAME = "manifest.json"
SPLITS = ("train", "test")
PIXEL_DTYPE = "uint8"


def label_dtype(num_classes: int) -> np.dtype:
    """The smallest unsigned dtype holding a class index."""
    return np.dtype(np.uint8 if num_classes <= 2**8 else np.uint16 if num_classes <= 2**16
                    else np.uint32)


def _check_split(split: str, what: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"{what}: split {split!r} is not one of {', '.join(SPLITS)}")


@dataclass(frozen=True)
class RowRange:
    """Global source rows ``[start, stop)`` of one split."""

    split: str
    start: int
    stop: int

    def __post_init__(self) -> None:
        _check_split(self.split, "RowRange")
        if not 0 <= self.start <= self.stop:
            raise ValueError(f"RowRange {self.split} [{self.start}, {self.stop}): expected "
                             "0 <= start <= stop")

    def __len__(self) -> int:
        return self.stop - self.start

    def __str__(self) -> str:
        return f"{self.split} rows [{self.start}, {self.stop})"


@dataclass(frozen=True)
class PlanEntry:
    """One kernel's share of the plan, recorded so a missing range names its kernel."""

    kernel: str
    split: str
    start: int
    stop: int


@dataclass(frozen=True)
class FileRecord:
    """One ``.npy`` file of a shard."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class ShardRecord:
    """One shard: a source row range and its files (``x`` pixels, ``y`` labels, ``ids``)."""

    split: str
    start: int
    stop: int
    count: int
    files: Mapping[str, FileRecord]

    @property
    def nbytes(self) -> int:
        return sum(f.bytes for f in self.files.values())

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ShardRecord":
        return cls(split=data["split"], start=data["start"], stop=data["stop"],
                   count=data["count"],
                   files={k: FileRecord(**{**f, "shape": tuple(f["shape"])})
                          for k, f in data["files"].items()})


@dataclass(frozen=True)
class Reject:
    """A source row that was skipped: its id and why."""

    split: str
    row: int
    id: str
    reason: str


@dataclass(frozen=True)
class DatasetSpec:
    """What every shard of a data set shares; equal across all kernels of one plan."""

    sample_shape: tuple[int, int, int]
    split_rows: Mapping[str, int]
    classes: tuple[Any, ...] = ()  # class values, or the tags of ``multi_hot`` targets
    id_column: str = "id"
    label_column: str = "label"
    id_width: int = 0
    stored_ids: tuple[str, ...] = ("test",)
    targets: str = "class"  # how ``y`` stores the train targets (see the module docstring)
    task: str = "label"  # the competition's task kind (``shared.tasks``), for the reader

    def __post_init__(self) -> None:
        shape = tuple(self.sample_shape)
        if len(shape) != 3 or any(not isinstance(d, int) or d < 1 for d in shape):
            raise ValueError(f"sample_shape {shape!r}: expected (height, width, channels)")
        object.__setattr__(self, "sample_shape", shape)
        object.__setattr__(self, "classes", tuple(self.classes))
        object.__setattr__(self, "stored_ids", tuple(self.stored_ids))
        object.__setattr__(self, "split_rows", dict(self.split_rows))
        for split, rows in self.split_rows.items():
            _check_split(split, "DatasetSpec.split_rows")
            if not isinstance(rows, int) or rows < 0:
                raise ValueError(f"split_rows[{split!r}] = {rows!r}: expected a row count")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError(f"classes {list(self.classes)}: each class must appear once")
        if self.stored_ids and self.id_width < 1:
            raise ValueError("id_width must be >= 1 when ids are stored: give the longest id's "
                             "length in characters")
        if self.targets not in TARGET_KINDS:
            raise ValueError(f"targets = {self.targets!r}: expected one of "
                             f"{', '.join(TARGET_KINDS)}")
        if self.targets == "multi_hot" and not self.classes:
            raise ValueError("multi_hot targets need the tag list in classes")

    @property
    def labelled(self) -> bool:
        """Whether the train split stores targets."""
        return self.targets == "value" or bool(self.classes)

    @property
    def sample_bytes(self) -> int:
        return int(np.prod(self.sample_shape))

    def label_dtype(self) -> np.dtype:
        """The dtype of the ``y`` files."""
        if self.targets == "value":
            return np.dtype(np.float32)
        return np.dtype(np.uint8) if self.targets == "multi_hot" else label_dtype(len(self.classes))

    def target_shape(self) -> tuple[int, ...]:
        """The shape of one sample's target: ``()``, or ``(K,)`` for ``multi_hot``."""
        return (len(self.classes),) if self.targets == "multi_hot" else ()

    def id_dtype(self) -> np.dtype:
        return np.dtype(f"<U{max(self.id_width, 1)}")

    def sample_files(self, split: str) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
        """Per-sample shape and dtype of each file a shard of ``split`` holds."""
        files: dict[str, tuple[tuple[int, ...], np.dtype]] = {
            "x": (self.sample_shape, np.dtype(PIXEL_DTYPE))}
        if self.labelled and split == "train":
            files["y"] = (self.target_shape(), self.label_dtype())
        if split in self.stored_ids:
            files["ids"] = ((), self.id_dtype())
        return files


@dataclass(frozen=True)
class Manifest:
    """Everything one kernel wrote: the contract's ``manifest.json``."""

    producer: str
    spec: DatasetSpec
    ranges: tuple[RowRange, ...]
    shards: tuple[ShardRecord, ...]
    rejects: tuple[Reject, ...] = ()
    source_fingerprint: str = ""
    job_fingerprint: str = ""
    bundle_fingerprint: str = ""
    plan: tuple[PlanEntry, ...] = ()
    format: str = FORMAT_NAME
    format_version: int = FORMAT_VERSION
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        data = asdict(self)
        data["spec"]["classes"] = list(self.spec.classes)
        return json.dumps(data, indent=1, sort_keys=False)

    @classmethod
    def from_json(cls, text: str, *, path: str = MANIFEST_NAME) -> "Manifest":
        """Parse a manifest; a malformed one raises ValueError naming ``path`` and the field."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc}); the kernel that wrote it did "
                             "not finish: re-run it") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise ValueError(f"{path}: not a shard manifest (expected \"format\": "
                             f"\"{FORMAT_NAME}\")")
        version = data.get("format_version")
        if version not in READABLE_VERSIONS:
            raise ValueError(f"{path}: format_version {version!r}, this code reads versions "
                             f"{', '.join(map(str, READABLE_VERSIONS))}: re-run the "
                             "preprocessing kernels with the same code version as the training "
                             "kernel")
        try:
            spec = data["spec"]
            return cls(
                producer=data["producer"],
                spec=DatasetSpec(**{**spec, "sample_shape": tuple(spec["sample_shape"])}),
                ranges=tuple(RowRange(**r) for r in data["ranges"]),
                shards=tuple(ShardRecord.from_dict(s) for s in data["shards"]),
                rejects=tuple(Reject(**r) for r in data.get("rejects", [])),
                source_fingerprint=data.get("source_fingerprint", ""),
                job_fingerprint=data.get("job_fingerprint", ""),
                bundle_fingerprint=data.get("bundle_fingerprint", ""),
                plan=tuple(PlanEntry(**p) for p in data.get("plan", [])),
                extra=data.get("extra", {}),
                format_version=version,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: malformed manifest ({type(exc).__name__}: {exc}); "
                             "re-run the kernel that wrote it") from None

    @classmethod
    def load(cls, path: str | Path) -> "Manifest":
        return cls.from_json(Path(path).read_text(encoding="utf-8"), path=str(path))


def write_json_atomic(path: str | Path, text: str) -> None:
    """Write JSON ``text`` to ``path`` atomically (see ``shared.store.atomic``)."""
    write_text_atomic(path, text)
