"""Decode the test images in worker processes while the main process predicts, batch by batch.

The same decode jobs as preprocessing (``shared.preprocess.decode_jobs``: the same lookup,
the same ``DecodeSettings``, the same shared-memory slots) run on a pool of worker processes,
at most a bounded number of jobs ahead; the main process copies each job's good rows into a
batch buffer and predicts every full batch. Memory holds a few jobs' pixels, one batch and one
output row per image, whatever the number of images. The pool is forked before Keras starts
its threads (``DecodeStream.open``), so no child inherits a lock held by one of them.
"""

from __future__ import annotations

import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from shared.preprocess.decode_jobs import (DecodeJob, batch_pixels, decode_job, init_worker,
                                           jobs_in_flight, rows_per_job, use_arena, worker_setup)
from shared.preprocess.pool import ordered_map, worker_pool
from shared.preprocess.slots import SlotArena, workers_share_memory
from shared.sources.layout import SourceLayout

__all__ = ["DecodeStream", "StreamResult"]


@dataclass(frozen=True)
class StreamResult:
    """One output row per image (the prior where decoding failed) and the failures."""

    outputs: np.ndarray  # (rows, units) float32
    failures: tuple[tuple[int, str, str], ...]  # (row, id, reason)
    seconds: float
    workers: int


class DecodeStream:
    """Decoding ``names`` (the sample's ids) of the test split of ``layout`` under
    ``data_dir``; use ``open`` (forks the workers), then ``predict``, then ``close``."""

    def __init__(self, layout: SourceLayout, data_dir: Path, names: list[str], *, workers: int,
                 max_pixels: int) -> None:
        self.names = names
        self.workers = workers
        self.setup = worker_setup(layout, data_dir, max_pixels)
        self.shape = self.setup.settings.shape
        sample_bytes = int(np.prod(self.shape))
        self.job_rows = rows_per_job(sample_bytes, len(names), workers)
        self.in_flight = jobs_in_flight(self.job_rows, sample_bytes, workers, carry_pixels=False)
        self.slots = self.in_flight + 1 if workers_share_memory() else 0
        self.pool = None

    def open(self) -> "DecodeStream":
        """Map the shared slots and fork the workers (call before importing Keras)."""
        use_arena(SlotArena(self.slots, self.job_rows, self.shape) if self.slots else None)
        self.pool = worker_pool(self.workers, initializer=init_worker, initargs=(self.setup,),
                                start=True)
        return self

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None
        use_arena(None)

    def _jobs(self):
        for i, start in enumerate(range(0, len(self.names), self.job_rows)):
            names = tuple(self.names[start:start + self.job_rows])
            yield DecodeJob("test", start, names=names, slot=i % self.slots if self.slots else -1)

    def predict(self, predict: Callable[[np.ndarray], np.ndarray], prior: np.ndarray, *,
                batch: int, strict: bool = False, progress: str = "") -> StreamResult:
        """``predict`` (uint8 pixels of ``batch`` rows in, outputs out) of every image, in the
        names' order; a row whose image fails to decode gets ``prior`` (``strict``: stops)."""
        started = time.perf_counter()
        outputs = np.tile(np.asarray(prior, np.float32), (len(self.names), 1))
        buffer = np.empty((batch, *self.shape), np.uint8)
        rows: list[int] = []
        failures: list[tuple[int, str, str]] = []

        def flush() -> None:
            if rows:
                n = len(rows)
                buffer[n:] = buffer[n - 1]  # a full batch: one compiled shape throughout
                outputs[rows] = predict(buffer)[:n]
                rows.clear()

        jobs = ordered_map(decode_job, self._jobs(), workers=self.workers,
                           in_flight=self.in_flight, pool=self.pool)
        bar = tqdm(total=len(self.names), desc=progress or "inference", unit="img",
                   disable=not progress, file=sys.stderr,
                   mininterval=0.5 if sys.stderr.isatty() else 30.0, smoothing=0.1)
        with closing(jobs), bar:
            for decoded in jobs:
                failed = {row: reason for row, reason in decoded.failures}
                if failed and strict:
                    row, reason = next(iter(failed.items()))
                    raise ValueError(
                        f"test row {row} (id {self.names[row]!r}): {reason}. [source] strict "
                        "= true stops at the first bad image: fix it, or set strict = false "
                        "to give such rows the training set's prior")
                x = batch_pixels(decoded)
                good = [r for r in range(decoded.start, decoded.start + decoded.count)
                        if r not in failed]
                failures += [(r, self.names[r], failed[r]) for r in sorted(failed)]
                taken = 0
                while taken < len(good):
                    n = min(batch - len(rows), len(good) - taken)
                    buffer[len(rows):len(rows) + n] = x[taken:taken + n]
                    rows.extend(good[taken:taken + n])
                    taken += n
                    if len(rows) == batch:
                        flush()
                bar.update(decoded.count)
            flush()
        return StreamResult(outputs=outputs, failures=tuple(failures),
                            seconds=time.perf_counter() - started, workers=self.workers)
