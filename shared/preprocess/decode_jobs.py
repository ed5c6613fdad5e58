"""Decode jobs: what the main process sends to workers, and what comes back.

A job is a run of consecutive rows of one split: image names to locate and decode (in a
folder or a zip archive) or raw CSV pixel values (pixel CSVs). A worker returns the decoded
samples of the rows that worked plus a reason for each row that did not; it never raises for
bad input, so the main process decides between rejecting (lenient) and failing (strict).
With a ``SlotArena`` (``use_arena``, before the pool forks), a job with a ``slot`` leaves
its samples in that slot of shared memory instead of returning them (``batch_pixels``).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np

from shared.sources import (DecodeSettings, ImageLocator, SourceLayout, decode_image,
                            describe_failure, iter_pixel_rows, pixels_to_arrays)
from shared.preprocess.slots import SlotArena
from shared.sources.layouts import layout_kind
from shared.sources.photo import DEFAULT_MAX_PIXELS
from shared.store.manifest import RowRange

__all__ = ["DecodeJob", "DecodedBatch", "WorkerSetup", "init_worker", "decode_job",
           "worker_setup", "iter_jobs", "rows_per_job", "jobs_in_flight", "use_arena",
           "batch_pixels"]

BAD_PIXELS = "bad pixel row: a value is missing, not a number, fractional or outside 0..255"
JOB_BYTES = 2**20
MAX_JOB_ROWS = 256
IN_FLIGHT_BYTES = 64 * 2**20


@dataclass(frozen=True)
class DecodeJob:
    """Rows ``[start, start + count)`` of ``split``: ``names`` or raw ``pixels``; decoded into
    ``slot`` of the arena (``-1``: returned through the pool)."""

    split: str
    start: int
    names: tuple[str, ...] | None = None
    pixels: np.ndarray | None = None
    slot: int = -1

    @property
    def count(self) -> int:
        return len(self.names) if self.names is not None else len(self.pixels)


@dataclass(frozen=True)
class DecodedBatch:
    """The decoded samples of a job's good rows, in order, and ``(row, reason)`` of the rest;
    ``x`` is ``None`` when they are in arena slot ``slot`` (see ``batch_pixels``)."""

    split: str
    start: int
    count: int
    x: np.ndarray | None
    failures: tuple[tuple[int, str], ...] = ()
    slot: int = -1


@dataclass(frozen=True)
class WorkerSetup:
    """What every worker needs, sent once: the target shape and where images are."""

    settings: DecodeSettings
    folders: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # split: (dir, ext)
    source_shape: tuple[int, ...] = ()


_STATE: dict[str, object] = {}


def init_worker(setup: WorkerSetup) -> None:
    """Process initializer: keep the setup and one image locator per split. Ctrl-C is left
    to the main process, which stops the pool (a worker would print a traceback each)."""
    if multiprocessing.parent_process() is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STATE["setup"] = setup
    _STATE["locators"] = {split: ImageLocator(folder, ext)
                          for split, (folder, ext) in setup.folders.items()}


def use_arena(arena: SlotArena | None) -> None:
    """Decode jobs that name a slot into ``arena`` (call before the pool forks)."""
    _STATE["arena"] = arena


def batch_pixels(batch: DecodedBatch) -> np.ndarray:
    """The samples of ``batch``'s good rows; a view into the arena stays valid until that
    slot's next job is submitted."""
    if batch.x is not None:
        return batch.x
    arena: SlotArena = _STATE["arena"]  # type: ignore[assignment]
    return arena.view(batch.slot, batch.count - len(batch.failures))


def decode_job(job: DecodeJob) -> DecodedBatch:
    """Decode one job (in a worker, or inline after ``init_worker``)."""
    setup: WorkerSetup = _STATE["setup"]  # type: ignore[assignment]
    arena: SlotArena | None = _STATE.get("arena") if job.slot >= 0 else None  # type: ignore
    if job.pixels is not None:
        x, ok = pixels_to_arrays(job.pixels, setup.source_shape, setup.settings)
        failures = tuple((job.start + int(i), BAD_PIXELS) for i in np.flatnonzero(~ok))
        if arena is None:
            return DecodedBatch(job.split, job.start, job.count, x, failures)
        arena.view(job.slot, len(x))[:] = x
        return DecodedBatch(job.split, job.start, job.count, None, failures, job.slot)
    locator: ImageLocator = _STATE["locators"][job.split]  # type: ignore[index]
    out = arena.view(job.slot, job.count) if arena is not None else \
        np.empty((job.count, *setup.settings.shape), np.uint8)
    good, failures = 0, []
    for i, name in enumerate(job.names):
        try:
            out[good] = decode_image(locator.find(name), setup.settings)
            good += 1
        except Exception as exc:  # noqa: BLE001 - Pillow raises many types; each becomes a reason
            failures.append((job.start + i, describe_failure(exc)))
    if arena is not None:
        return DecodedBatch(job.split, job.start, job.count, None, tuple(failures), job.slot)
    return DecodedBatch(job.split, job.start, job.count, out[:good], tuple(failures))


def worker_setup(layout: SourceLayout, data_dir: Path,
                 max_pixels: int = DEFAULT_MAX_PIXELS) -> WorkerSetup:
    """The setup for ``layout``'s data mounted at ``data_dir``; files over ``max_pixels``
    are rejected ([source] max_image_pixels)."""
    folders = {}
    if not layout_kind(layout.kind).pixels_in_csv:
        folders = {"train": (str(data_dir / layout.train_dir), layout.train_ext),
                   "test": (str(data_dir / layout.test_dir), layout.test_ext)}
    return WorkerSetup(settings=DecodeSettings.from_layout(layout, max_pixels), folders=folders,
                       source_shape=layout.source_shape)


def rows_per_job(sample_bytes: int, pending_rows: int, workers: int) -> int:
    """About 1 MiB of output per job, at most 256 rows, and at least 8 jobs per worker."""
    spread = -(-pending_rows // (8 * workers)) if pending_rows else 1
    return max(1, min(MAX_JOB_ROWS, JOB_BYTES // max(1, sample_bytes), spread))


def jobs_in_flight(size: int, sample_bytes: int, workers: int, *, carry_pixels: bool) -> int:
    """Jobs submitted ahead of the one being written: 4 per worker and, for jobs that carry
    only image names, at least 64 MiB of output, so the workers keep decoding while the main
    process publishes a shard (hashing and syncing 256 MB takes a few tenths of a second).
    Jobs that ``carry_pixels`` (CSV values, 8 bytes each) stay at 4 per worker."""
    if carry_pixels:
        return 4 * workers
    return max(4 * workers, IN_FLIGHT_BYTES // max(1, size * sample_bytes))


def iter_jobs(layout: SourceLayout, data_dir: Path, pending: Sequence[RowRange],
               names_of: Callable[[str, int, int], tuple[str, ...]],
               size: int, slots: int = 0) -> Iterator[DecodeJob]:
    """Jobs of at most ``size`` rows covering ``pending`` in order; ``names_of(split, start,
    stop)`` gives the image names of rows (image folders). With ``slots``, job ``i`` goes
    to arena slot ``i % slots``."""
    jobs = _jobs(layout, data_dir, pending, names_of, size)
    if not slots:
        yield from jobs
        return
    for i, job in enumerate(jobs):
        yield dataclasses.replace(job, slot=i % slots)


def _jobs(layout: SourceLayout, data_dir: Path, pending: Sequence[RowRange],
           names_of: Callable[[str, int, int], tuple[str, ...]],
           size: int) -> Iterator[DecodeJob]:
    for r in pending:
        if not layout_kind(layout.kind).pixels_in_csv:
            for start in range(r.start, r.stop, size):
                stop = min(start + size, r.stop)
                yield DecodeJob(r.split, start, names=names_of(r.split, start, stop))
        else:
            for first, values in iter_pixel_rows(layout, data_dir, r.split, r.start, r.stop):
                for offset in range(0, len(values), size):
                    yield DecodeJob(r.split, first + offset, pixels=values[offset:offset + size])
