"""ShardWriter: one kernel's rows into uint8 ``.npy`` shards plus ``manifest.json``.

Usage::

    with ShardWriter(out_dir, spec=spec, ranges=[RowRange("train", 0, 5000)],
                     producer="preprocess-00", options=WriterOptions(budget_bytes=...)) as w:
        for r in w.pending():                 # only what a previous run did not finish
            for row in range(r.start, r.stop):
                w.add(r.split, row, pixels, label=k)   # or w.reject(r.split, row, id, why)
    # leaving the block without an error writes manifest.json; an error keeps finished shards

Each shard is published atomically (temporary name, fsync, rename) and recorded in a
progress journal, the renames and the journal entry shielded from Ctrl-C as one step; the
manifest is written last. A re-run of the same job skips the shards in the journal whose
files are intact and rewrites the rest.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from shared.units import format_size
from shared.store.atomic import interrupts_deferred
from shared.store.diskspace import DiskFullError, free_bytes
from shared.store.manifest import (MANIFEST_NAME, DatasetSpec, Manifest, PlanEntry, Reject,
                                   RowRange, ShardRecord, write_json_atomic)
from shared.store.shard_file import OpenShard
from shared.store.sharding import PlannedShard, WriterOptions, job_fingerprint, plan_shards

__all__ = ["ShardWriter", "WriterOptions", "JOURNAL_NAME"]

JOURNAL_NAME = ".shards-progress.json"


class ShardWriter:
    """Writes the shards of the assigned ``ranges`` into ``out_dir`` (see module docstring)."""

    def __init__(self, out_dir: str | os.PathLike, *, spec: DatasetSpec,
                 ranges: Sequence[RowRange], producer: str,
                 options: WriterOptions = WriterOptions(), source_fingerprint: str = "",
                 bundle_fingerprint: str = "", plan: Sequence[PlanEntry] = (),
                 extra: Mapping[str, Any] | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.extra = dict(extra or {})  # the manifest's free-form "extra" (e.g. the runtime)
        self.spec = spec
        self.ranges = tuple(ranges)
        self.producer = producer
        self.options = options
        self.source_fingerprint = source_fingerprint
        self.bundle_fingerprint = bundle_fingerprint
        self.plan = tuple(plan)
        self.shards = plan_shards(spec, self.ranges, options)
        self.fingerprint = job_fingerprint(spec, self.shards, source_fingerprint)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._done: dict[PlannedShard, tuple[ShardRecord, list[Reject]]] = {}
        self._open: OpenShard | None = None
        self._manifest: Manifest | None = None
        self._load_existing()
        self._check_budget()

    # -- resume -----------------------------------------------------------------------------
    def _load_existing(self) -> None:
        """Trust what a previous run finished: a matching manifest, else the journal."""
        for stray in self.out_dir.glob(".*.tmp"):
            stray.unlink()
        manifest_path = self.out_dir / MANIFEST_NAME
        if manifest_path.exists():
            manifest = Manifest.load(manifest_path)
            if manifest.job_fingerprint != self.fingerprint:
                raise ValueError(
                    f"{manifest_path} was written by a different job (fingerprint "
                    f"{manifest.job_fingerprint}, this job {self.fingerprint}: other rows, "
                    "image size or source). Use an empty output directory, or delete it to redo")
            finished = [(s, [r for r in manifest.rejects
                             if r.split == s.split and s.start <= r.row < s.stop])
                        for s in manifest.shards]
        else:
            finished = [(ShardRecord.from_dict(e["record"]), [Reject(**r) for r in e["rejects"]])
                        for e in self._read_journal().get("shards", [])]
        by_key = {(s.split, s.start, s.stop): s for s in self.shards}
        for record, rejects in finished:
            planned = by_key.get((record.split, record.start, record.stop))
            if planned is not None and _intact(self.out_dir, record):
                self._done[planned] = (record, rejects)
        if manifest_path.exists():
            if self.complete:
                self._manifest = manifest
                return
            self._write_journal()  # a listed shard is damaged: redo only what is missing
            manifest_path.unlink()

    def _read_journal(self) -> dict:
        path = self.out_dir / JOURNAL_NAME
        if not path.exists():
            return {}
        try:
            journal = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            return {}
        if journal.get("job_fingerprint") != self.fingerprint:
            raise ValueError(
                f"{path} records an unfinished job with different settings (fingerprint "
                f"{journal.get('job_fingerprint')}, this job {self.fingerprint}). Use an empty "
                "output directory, or delete the old shards and the journal to start over")
        return journal

    def _write_journal(self) -> None:
        entries = [{"record": asdict(rec), "rejects": [asdict(r) for r in rejects]}
                   for rec, rejects in self._done.values()]
        write_json_atomic(self.out_dir / JOURNAL_NAME, json.dumps(
            {"job_fingerprint": self.fingerprint, "shards": entries}))

    def _check_budget(self) -> None:
        total = sum(s.planned_bytes(self.spec) for s in self.shards)
        budget = self.options.budget_bytes
        if budget and total > budget:
            raise ValueError(
                f"{self.producer}: the planned output is {format_size(total)} "
                f"({len(self.shards)} shards for {sum(len(r) for r in self.ranges)} rows), over "
                f"the budget of {format_size(budget)}. Give this kernel fewer rows (lower "
                "[plan] kernel_budget so the planner uses more kernels) or raise the budget")
        remaining = sum(s.planned_bytes(self.spec) for s in self.shards if s not in self._done)
        free = free_bytes(self.out_dir)
        if remaining > free:
            raise DiskFullError(
                28, f"{self.producer}: {format_size(remaining)} still to write but only "
                f"{format_size(free)} free in {self.out_dir}. Free disk space or lower [plan] "
                "kernel_budget so that each kernel writes less")

    # -- writing ----------------------------------------------------------------------------
    @property
    def complete(self) -> bool:
        return len(self._done) == len(self.shards)

    def pending(self) -> list[RowRange]:
        """Row ranges still to produce, adjacent pending shards merged."""
        out: list[RowRange] = []
        for s in self.shards:
            if s in self._done:
                continue
            if out and out[-1].split == s.split and out[-1].stop == s.start:
                out[-1] = RowRange(s.split, out[-1].start, s.stop)
            else:
                out.append(s.rows)
        return out

    def add(self, split: str, row: int, x: np.ndarray, label: int | None = None,
            id: str | None = None) -> bool:
        """Store one sample; False (nothing written) if its shard is already complete."""
        return self.add_batch(split, row, np.asarray(x)[None],
                              None if label is None else [label],
                              None if id is None else [id]) > 0

    def add_batch(self, split: str, start_row: int, x: np.ndarray,
                  labels: Iterable[int] | None = None, ids: Iterable[str] | None = None) -> int:
        """Store consecutive rows from ``start_row``; returns how many were written."""
        x = np.asarray(x)
        labels_arr, ids_arr = self._validate(split, start_row, x, labels, ids)
        written, offset = 0, 0
        while offset < len(x):
            row = start_row + offset
            shard = self._shard_for(split, row)
            take = min(len(x) - offset, shard.stop - row)
            if shard not in self._done:
                open_shard = self._open_for(shard, row)
                sl = slice(offset, offset + take)
                open_shard.append(x[sl], None if labels_arr is None else labels_arr[sl],
                                  None if ids_arr is None else ids_arr[sl])
                written += take
                self._publish_if_done()
            offset += take
        return written

    def reject(self, split: str, row: int, id: str, reason: str) -> bool:
        """Record that source row ``row`` is skipped; False if its shard is already complete."""
        shard = self._shard_for(split, row)
        if shard in self._done:
            return False
        self._open_for(shard, row).reject(Reject(split, row, str(id), str(reason)))
        self._publish_if_done()
        return True

    def _validate(self, split, start_row, x, labels, ids):
        expected = (len(x), *self.spec.sample_shape)
        if x.dtype != np.uint8 or x.shape != expected:
            raise ValueError(
                f"rows from {split} row {start_row}: received pixels of shape {x.shape} and dtype "
                f"{x.dtype}, expected shape {expected} and dtype uint8 (height, width, channels)")
        layout = self.spec.sample_files(split)
        labels_arr = ids_arr = None
        if "y" in layout:
            if labels is None:
                raise ValueError(f"{split} row {start_row}: a label is required "
                                 f"({_TARGET_WORDS[self.spec.targets](self.spec)})")
            labels_arr = _checked_targets(self.spec, np.asarray(labels), len(x), split,
                                          start_row)
        if "ids" in layout:
            ids_arr = np.asarray([str(i) for i in ids] if ids is not None else [])
            if len(ids_arr) != len(x):
                raise ValueError(f"{split} rows from {start_row}: {len(x)} ids are required "
                                 f"(received {len(ids_arr)})")
            too_long = [i for i in ids_arr if len(i) > self.spec.id_width]
            if too_long:
                raise ValueError(f"id {too_long[0]!r} is longer than id_width "
                                 f"{self.spec.id_width}: raise DatasetSpec.id_width")
        return labels_arr, ids_arr

    def _shard_for(self, split: str, row: int) -> PlannedShard:
        if self._open is not None and self._open.planned.split == split and \
                self._open.planned.start <= row < self._open.planned.stop:
            return self._open.planned
        for s in self.shards:
            if s.split == split and s.start <= row < s.stop:
                return s
        assigned = ", ".join(str(r) for r in self.ranges)
        raise ValueError(f"{split} row {row} is not assigned to {self.producer} ({assigned})")

    def _open_for(self, shard: PlannedShard, row: int) -> OpenShard:
        if self._open is None or self._open.planned != shard:
            if self._open is not None:
                p = self._open.planned
                raise ValueError(
                    f"{p.split} rows [{self._open.next_row}, {p.stop}) were neither added nor "
                    f"rejected before row {row} of {shard.split} arrived: give every row of a "
                    "shard, in order, before the next shard")
            self._open = OpenShard(self.out_dir, shard, self.spec)
        if row != self._open.next_row:
            raise ValueError(f"{shard.split} rows must arrive in order: expected row "
                             f"{self._open.next_row}, received row {row}")
        return self._open

    def _publish_if_done(self) -> None:
        if self._open is None or not self._open.done:
            return
        shard, self._open = self._open, None
        try:
            record = shard.seal()
            with interrupts_deferred():  # renamed files are recorded before a Ctrl-C acts
                shard.commit()
                self._done[shard.planned] = (record, shard.rejects)
                self._write_journal()
        except BaseException:
            shard.discard()
            raise

    # -- finishing --------------------------------------------------------------------------
    def close(self) -> Manifest:
        """Write ``manifest.json`` once every shard is complete; ValueError otherwise."""
        if self._manifest is not None:
            return self._manifest
        if not self.complete:
            missing = ", ".join(str(r) for r in self.pending())
            self.abort()
            raise ValueError(f"{self.producer}: not every assigned row was added or rejected; "
                             f"missing {missing}. The finished shards are kept: re-run to "
                             "complete them")
        records = [self._done[s][0] for s in self.shards]
        rejects = [r for s in self.shards for r in self._done[s][1]]
        self._manifest = Manifest(
            producer=self.producer, spec=self.spec, ranges=self.ranges, shards=tuple(records),
            rejects=tuple(rejects), source_fingerprint=self.source_fingerprint,
            job_fingerprint=self.fingerprint, bundle_fingerprint=self.bundle_fingerprint,
            plan=self.plan, extra=self.extra)
        write_json_atomic(self.out_dir / MANIFEST_NAME, self._manifest.to_json())
        (self.out_dir / JOURNAL_NAME).unlink(missing_ok=True)
        return self._manifest

    def abort(self) -> None:
        """Drop the shard in progress; finished shards stay recorded for a resume."""
        if self._open is not None:
            self._open.discard()
            self._open = None

    def __enter__(self) -> "ShardWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


_TARGET_WORDS = {
    "class": lambda spec: f"class indices in [0, {len(spec.classes)})",
    "multi_hot": lambda spec: f"rows of {len(spec.classes)} zeros and ones, one per tag",
    "value": lambda spec: "finite numbers",
}


def _checked_targets(spec: DatasetSpec, labels: np.ndarray, n: int, split: str,
                     start_row: int) -> np.ndarray:
    """``labels`` if they are ``n`` targets of the data set's kind; ValueError otherwise."""
    shape = (n, *spec.target_shape())
    if labels.shape == shape and labels.dtype.kind in "biuf":
        if spec.targets == "class":
            ok = ((labels >= 0) & (labels < len(spec.classes)) & (labels == labels // 1)).all()
        elif spec.targets == "multi_hot":
            ok = np.isin(labels, (0, 1)).all()
        else:
            ok = np.isfinite(labels).all()
        if ok:
            return labels
    raise ValueError(f"{split} rows from {start_row}: labels must be {n} "
                     f"{_TARGET_WORDS[spec.targets](spec)} (shape {shape}), received shape "
                     f"{labels.shape}: {labels.tolist()[:8]}")


def _intact(directory: Path, record: ShardRecord) -> bool:
    """Files present with the recorded size (the cheap check a resume relies on)."""
    for f in record.files.values():
        path = directory / f.name
        if not path.is_file() or path.stat().st_size != f.bytes:
            return False
    return True
