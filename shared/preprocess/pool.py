"""An ordered, bounded parallel map over worker processes.

At most ``in_flight`` jobs are submitted ahead of the one being consumed, so memory is
bounded by a few jobs' results however long the input is, and results come back in input
order. Workers are forked on Linux (what Kaggle runs), so they need nothing importable
beyond what the parent already loaded.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator, TypeVar

__all__ = ["ordered_map", "available_cpus", "worker_pool"]

T = TypeVar("T")
R = TypeVar("R")


def available_cpus() -> int:
    """CPU cores this process may use (the affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def worker_pool(workers: int, *, initializer: Callable[..., Any] | None = None,
                initargs: tuple = (), start: bool = False) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes, forked on Linux; ``start``: fork them now (before the
    caller starts threads of its own, as TensorFlow and JAX do: forking a process that runs
    them can deadlock its children)."""
    if workers < 1:
        raise ValueError(f"workers = {workers}: expected at least 1 decoding process")
    context = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=initializer,
                               initargs=initargs)
    if start:
        for future in [pool.submit(int) for _ in range(workers)]:
            future.result()
    return pool


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int,
                in_flight: int = 0, initializer: Callable[..., Any] | None = None,
                initargs: tuple = (), pool: ProcessPoolExecutor | None = None) -> Iterator[R]:
    """``fn(item)`` for each item, computed by ``workers`` processes, yielded in order.

    ``in_flight`` (default ``4 * workers``) bounds the jobs submitted but not yet consumed.
    Closing the iterator early cancels what has not started and waits for the rest. ``pool``:
    run on that pool (``worker_pool``), which the caller shuts down, instead of a new one.
    """
    if pool is not None:
        yield from _ordered(pool, fn, items, in_flight or 4 * workers)
        return
    with worker_pool(workers, initializer=initializer, initargs=initargs) as owned:
        yield from _ordered(owned, fn, items, in_flight or 4 * workers)


def _ordered(pool: ProcessPoolExecutor, fn: Callable[[T], R], items: Iterable[T],
             window: int) -> Iterator[R]:
    pending: deque[Future] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool as exc:
        raise RuntimeError(
            "a decoding worker process died (killed for memory, or crashed inside the "
            "image library): lower [plan] decode_workers, or set it to 1 and look at the "
            "last rows the progress bar reached") from exc
    finally:
        for future in pending:
            future.cancel()
