"""One shard being written: reserved temporary ``.npy`` files filled by positional writes.

Lifecycle: ``OpenShard(...)`` reserves every file's bytes under a hidden temporary name,
``append`` writes rows at their offsets, ``seal`` shrinks the files to the rows actually
stored, fsyncs and checksums them (the slow part), ``commit`` renames them to their final
names (the quick part the writer shields from Ctrl-C); ``discard`` deletes the temporaries.
Rows go in with ``os.pwrite`` rather than through a writable memory map: no page faults on
first touch (about 3x cheaper per sample), and since the bytes are reserved first, a write
can never meet a full disk.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from shared.store.diskspace import reserve
from shared.store.sharding import PlannedShard
from shared.store.manifest import DatasetSpec, FileRecord, Reject, ShardRecord, fsync_dir
from shared.store.npy import header_bytes, header_size, sha256_file

__all__ = ["OpenShard", "temp_name"]


def temp_name(final_name: str) -> str:
    """Hidden temporary name: never matches a shard's final name or ``*.npy`` globs."""
    return f".{final_name}.tmp"


def _pwrite_all(fd: int, data: memoryview, offset: int) -> None:
    while len(data):
        written = os.pwrite(fd, data, offset)
        data, offset = data[written:], offset + written


class _File:
    def __init__(self, directory: Path, final_name: str, capacity: int,
                 item_shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.final = directory / final_name
        self.tmp = directory / temp_name(final_name)
        self.item_shape = item_shape
        self.dtype = np.dtype(dtype)
        self.header = header_size((capacity, *item_shape), self.dtype)
        self.item_bytes = int(np.prod(item_shape, dtype=np.int64)) * self.dtype.itemsize
        self.fd = os.open(self.tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            reserve(self.fd, self.header + capacity * self.item_bytes, name=str(self.tmp))
            header = header_bytes((capacity, *item_shape), self.dtype, self.header)
            os.pwrite(self.fd, header, 0)
        except BaseException:
            os.close(self.fd)
            self.tmp.unlink(missing_ok=True)
            raise
        self.capacity = capacity
        # Rows arrive in order, so the checksum of a full shard is computed as they are
        # written; a shard that loses a row gets a new header and is hashed from disk once
        # it is complete, so its inline hashing stops at that row (``drop_hash``).
        self._hash: "hashlib._Hash | None" = hashlib.sha256(header)

    def drop_hash(self) -> None:
        """This file will be hashed from disk: stop hashing its rows as they arrive."""
        self._hash = None

    def write(self, first: int, rows: np.ndarray) -> None:
        """Store ``rows`` as items ``first, first + 1, ...`` (in order)."""
        data = memoryview(np.ascontiguousarray(rows, dtype=self.dtype)).cast("B")
        _pwrite_all(self.fd, data, self.header + first * self.item_bytes)
        if self._hash is not None:
            self._hash.update(data)

    def seal(self, count: int) -> FileRecord:
        shape = (count, *self.item_shape)
        os.pwrite(self.fd, header_bytes(shape, self.dtype, self.header), 0)
        size = self.header + count * self.item_bytes
        os.ftruncate(self.fd, size)
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = -1
        inline = self._hash is not None and count == self.capacity
        digest = self._hash.hexdigest() if inline else sha256_file(self.tmp)
        return FileRecord(name=self.final.name, shape=shape, dtype=self.dtype.str, bytes=size,
                          sha256=digest)

    def commit(self) -> None:
        os.replace(self.tmp, self.final)

    def discard(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        self.tmp.unlink(missing_ok=True)


class OpenShard:
    """A shard whose rows arrive in order, each one either appended or rejected."""

    def __init__(self, directory: Path, planned: PlannedShard, spec: DatasetSpec) -> None:
        self.planned = planned
        self.next_row = planned.start
        self.count = 0
        self.rejects: list[Reject] = []
        capacity = planned.stop - planned.start
        self._files: dict[str, _File] = {}
        try:
            for key, (shape, dtype) in spec.sample_files(planned.split).items():
                self._files[key] = _File(directory, planned.file_name(key), capacity, shape, dtype)
        except BaseException:
            self.discard()
            raise

    @property
    def done(self) -> bool:
        return self.next_row >= self.planned.stop

    def append(self, x: np.ndarray, labels: np.ndarray | None, ids: np.ndarray | None) -> None:
        """Store ``len(x)`` consecutive rows starting at ``next_row`` (already validated)."""
        n = len(x)
        self._files["x"].write(self.count, x)
        if "y" in self._files:
            self._files["y"].write(self.count, labels)
        if "ids" in self._files:
            self._files["ids"].write(self.count, ids)
        self.count += n
        self.next_row += n

    def reject(self, reject: Reject) -> None:
        self.rejects.append(reject)
        self.next_row += 1
        for file in self._files.values():  # a row fewer: the header changes, hashed at the end
            file.drop_hash()

    def seal(self) -> ShardRecord:
        """Shrink, fsync and checksum every file: the record ``commit`` makes true."""
        p = self.planned
        records = {key: f.seal(self.count) for key, f in self._files.items()}
        return ShardRecord(split=p.split, start=p.start, stop=p.stop, count=self.count,
                           files=records)

    def commit(self) -> None:
        """Rename every sealed file to its final name; the shard is then complete."""
        for f in self._files.values():
            f.commit()
        fsync_dir(next(iter(self._files.values())).final.parent)

    def discard(self) -> None:
        for f in self._files.values():
            f.discard()
