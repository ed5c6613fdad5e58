"""run_preprocess: one preprocessing kernel's assignment, from competition files to shards.

1. Find the competition folder and check its fingerprint against the plan.
2. Read and validate the assigned rows (ids unique, labels present and in the class list):
   bad input fails here, before any shard is written.
3. Decode the rows the output folder still lacks (``ShardWriter.pending``) in a process pool,
   in row order, a bounded number of jobs ahead, and write them through the writer.
   An image that is missing, truncated or unreadable is rejected with its id and reason
   (``[source] strict = true``: the run fails on it instead, naming it).
4. Write the manifest, a preview PNG and print a summary.
"""

from __future__ import annotations

import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from shared.assignment import PreprocessAssignment
from shared.units import format_size
from shared.kaggle_paths import find_competition_dir
from shared.preprocess.assigned import AssignedRows
from shared.preprocess.pool import available_cpus, ordered_map
from shared.preprocess.decode_jobs import (DecodedBatch, batch_pixels, decode_job, init_worker,
                                           iter_jobs, jobs_in_flight, rows_per_job, use_arena,
                                           worker_setup)
from shared.preprocess.preview import write_preview
from shared.preprocess.slots import SlotArena, workers_share_memory
from shared.runtime_info import runtime_info
from shared.sources import check_source_fingerprint, read_split_rows
from shared.sources.layouts import layout_kind
from shared.store import MANIFEST_NAME, Reject, ShardWriter

__all__ = ["PreprocessSummary", "run_preprocess", "competition_folder"]


@dataclass(frozen=True)
class PreprocessSummary:
    """What one run did: ``decoded`` rows now, the rest finished by an earlier run."""

    kernel: str
    rows: int  # rows assigned
    samples: int  # samples stored, all shards
    rejects: tuple[Reject, ...]
    decoded: int  # rows decoded by this run
    bytes: int  # bytes of every shard file
    seconds: float
    manifest: Path
    preview: Path | None
    workers: int = 0  # decoding processes

    @property
    def images_per_second(self) -> float:
        return self.decoded / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        lines = [
            f"{self.kernel}: {self.samples} of {self.rows} rows written, "
            f"{len(self.rejects)} rejected, {format_size(self.bytes)} of shards, "
            f"{self.seconds:.1f} s ({self.decoded} rows decoded now, "
            f"{self.images_per_second:.0f} images/s by {self.workers} decoding processes; "
            f"{self.rows - self.decoded} were already done)",
            f"manifest: {self.manifest}" + (f"   preview: {self.preview}" if self.preview else "")]
        for r in self.rejects[:10]:
            lines.append(f"  rejected {r.split} row {r.row} (id {r.id!r}): {r.reason}")
        if len(self.rejects) > 10:
            lines.append(f"  ... and {len(self.rejects) - 10} more (listed in the manifest)")
        return "\n".join(lines)


def competition_folder(input_root: str | Path, assignment: PreprocessAssignment) -> Path:
    """``input_root`` itself if it holds the competition's files, else the folder below it."""
    root = Path(input_root)
    if (root / assignment.source.sample_submission).is_file():
        return root
    return find_competition_dir(root, assignment.competition, assignment.source.sample_submission)


def run_preprocess(assignment: PreprocessAssignment, input_root: str | Path,
                   out_dir: str | Path, *, workers: int | None = None,
                   progress: bool = True) -> PreprocessSummary:
    """Run ``assignment`` (see module docstring); a re-run completes only what is missing.

    ``input_root`` is the competition folder or a folder above it (``/kaggle/input``).
    ``workers`` overrides ``[plan] decode_workers`` (0 there: one per CPU core).
    """
    started = time.perf_counter()
    layout = assignment.source
    data_dir = competition_folder(input_root, assignment)
    check_source_fingerprint(layout, data_dir, assignment.source_fingerprint)
    rows = AssignedRows([read_split_rows(layout, data_dir, r.split, r.start, r.stop)
                         for r in assignment.ranges])
    strict = assignment.config.source.strict
    max_pixels = assignment.config.source.max_image_pixels
    workers = workers or assignment.config.plan.decode_workers or available_cpus()
    with ShardWriter(out_dir, spec=assignment.spec, ranges=assignment.ranges,
                     producer=assignment.kernel,
                     options=assignment.writer,
                     source_fingerprint=assignment.source_fingerprint,
                     bundle_fingerprint=assignment.bundle_fingerprint,
                     plan=assignment.plan,
                     extra={"runtime": runtime_info(), "decode_workers": workers}) as writer:
        pending = writer.pending()
        todo = sum(len(r) for r in pending)
        if todo:
            size = rows_per_job(assignment.spec.sample_bytes, todo, workers)
            setup = worker_setup(layout, data_dir, max_pixels)
            in_flight = jobs_in_flight(size, assignment.spec.sample_bytes, workers,
                                        carry_pixels=layout_kind(layout.kind).pixels_in_csv)
            # one slot more than the jobs in flight: the one being written stays untouched
            slots = in_flight + 1 if workers_share_memory() else 0
            use_arena(SlotArena(slots, size, setup.settings.shape) if slots else None)
            jobs = iter_jobs(layout, data_dir, pending, rows.names, size, slots)
            batches = ordered_map(decode_job, jobs, workers=workers, in_flight=in_flight,
                                  initializer=init_worker, initargs=(setup,))
            try:
                with closing(batches), _progress_bar(assignment.kernel, todo, progress) as bar:
                    for batch in batches:
                        _write(writer, batch, rows, strict)
                        bar.update(batch.count)
            finally:
                use_arena(None)
        manifest = writer.close()
    preview = write_preview(out_dir, manifest)
    summary = PreprocessSummary(
        kernel=assignment.kernel, rows=sum(len(r) for r in assignment.ranges),
        samples=sum(s.count for s in manifest.shards), rejects=manifest.rejects, decoded=todo,
        bytes=sum(s.nbytes for s in manifest.shards), seconds=time.perf_counter() - started,
        manifest=Path(out_dir) / MANIFEST_NAME, preview=preview, workers=workers)
    if progress:
        print(summary, flush=True)
    return summary


def _progress_bar(kernel: str, total: int, enabled: bool) -> tqdm:
    tty = sys.stderr.isatty()
    return tqdm(total=total, desc=kernel, unit="img", disable=not enabled, file=sys.stderr,
                mininterval=0.5 if tty else 30.0, smoothing=0.1, dynamic_ncols=tty)


def _write(writer: ShardWriter, batch: DecodedBatch, rows: AssignedRows, strict: bool) -> None:
    """Runs of good rows go in with ``add_batch``; each failed row is rejected (or fatal)."""
    split, end = batch.split, batch.start + batch.count
    x = batch_pixels(batch)
    row, taken = batch.start, 0
    for bad_row, reason in (*batch.failures, (end, "")):
        if bad_row > row:
            n = bad_row - row
            writer.add_batch(split, row, x[taken:taken + n],
                             labels=rows.labels(split, row, bad_row),
                             ids=rows.ids(split, row, bad_row))
            taken += n
        if bad_row < end:
            image_id = str(rows.ids(split, bad_row, bad_row + 1)[0])
            if strict:
                raise ValueError(
                    f"{split} row {bad_row} (id {image_id!r}): {reason}. [source] strict = true "
                    "stops at the first bad image: fix or remove it, or set strict = false to "
                    "skip bad images (each is listed under rejects in manifest.json)")
            writer.reject(split, bad_row, image_id, reason)
        row = bad_row + 1
