"""The training kernel's Keras callbacks.

List them in this order (``fit`` calls callbacks in list order):

1. ``WallClockGuard``: times each epoch; stops training before the session's time limit
   (between epochs), or raises ``TimeLimitReached`` should the limit pass inside one.
2. ``EpochSeeds``: makes the model's own randomness (dropout) a function of (seed, epoch).
3. ``ResumableEarlyStopping``: Keras' early stopping, continued from a previous session.
4. ``EpochRecorder``: after each finished epoch, the checkpoint, ``history.csv`` and, last,
   ``train_state.json`` (see ``shared.training.state``).
5. ``ResourceReport``: one line per epoch with memory and disk figures.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import keras
import numpy as np
import pandas as pd

from shared.store.atomic import atomic_path
from shared.tasks import monitor_mode
from shared.training.resources import take_snapshot
from shared.training.state import TrainState, checkpoint_name

__all__ = ["WallClockGuard", "TimeLimitReached", "EpochSeeds", "seed_states",
           "ResumableEarlyStopping", "EpochRecorder", "ResourceReport",
           "save_model_atomic", "write_history_csv", "monitor_mode", "HISTORY_NAME"]

HISTORY_NAME = "history.csv"


def _print_now(line: str) -> None:
    print(line, flush=True)


def _improves(value: float, best: float | None, mode: str) -> bool:
    if value is None or math.isnan(value):
        return False
    return best is None or (value > best if mode == "max" else value < best)


def save_model_atomic(model: keras.Model, path: str | os.PathLike) -> None:
    """``model.save`` under a hidden temporary ``.keras`` name, fsync, rename."""
    with atomic_path(path, keep_suffix=True) as tmp:  # model.save wants a .keras name
        model.save(tmp)


def write_history_csv(history: Sequence[Mapping[str, Any]], path: str | os.PathLike) -> None:
    """One row per epoch, written whole under a temporary name, then renamed."""
    with atomic_path(path) as tmp:
        pd.DataFrame(list(history)).to_csv(tmp, index=False)


class TimeLimitReached(Exception):
    """Raised out of ``fit`` by ``WallClockGuard`` when the time limit passes inside an epoch.

    Keras 3 would still validate a stopped epoch and call every ``on_epoch_end``; raising
    skips both, so the cut epoch is neither scored, counted by early stopping nor recorded. The
    caller catches it; a resumed run repeats that epoch from the last checkpoint.
    """


class WallClockGuard(keras.callbacks.Callback):
    """Stops ``fit`` cleanly before ``limit_seconds`` after ``started_at`` have passed.

    At the end of each epoch it stops when one more epoch (as long as the longest so far)
    would cross the limit. Should the limit pass inside an epoch anyway, it raises
    ``TimeLimitReached`` after the batch in progress (see there).
    """

    def __init__(self, limit_seconds: float, *, started_at: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        if not limit_seconds > 0:
            raise ValueError(f"limit_seconds={limit_seconds!r}: expected a positive duration")
        self.limit_seconds = float(limit_seconds)
        self.clock = clock
        self.started_at = clock() if started_at is None else started_at
        self.epoch_seconds: list[float] = []
        self._epoch_start = self.started_at

    def elapsed(self) -> float:
        return self.clock() - self.started_at

    @property
    def last_epoch_seconds(self) -> float:
        return self.epoch_seconds[-1] if self.epoch_seconds else 0.0

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch_start = self.clock()

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        elapsed = self.elapsed()
        if elapsed >= self.limit_seconds:
            raise TimeLimitReached(
                f"the time limit of {self.limit_seconds:.0f} s passed after batch {batch + 1} "
                f"({elapsed:.0f} s elapsed)")

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self.epoch_seconds.append(self.clock() - self._epoch_start)
        if self.elapsed() + max(self.epoch_seconds) > self.limit_seconds:
            self.model.stop_training = True


def seed_states(model: keras.Model) -> list[keras.Variable]:
    """The state variable of every ``keras.random.SeedGenerator`` the model tracks (one per
    Dropout layer), in layer order: ``model.variables`` are its weights plus these."""
    weights = {id(v) for v in model.weights}
    return [v for v in model.variables if id(v) not in weights]


class EpochSeeds(keras.callbacks.Callback):
    """Sets every seed-generator state of the model to ``[f(seed, epoch, i), 0]`` as each
    epoch begins; each training step then advances it as usual.

    Dropout masks thereby depend only on ``(seed, epoch, step)``. ``model.save`` does not
    store seed-generator states and ``load_model`` starts them from fresh random seeds, so
    without this a resumed run would drop other units than the uninterrupted one.
    """

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.seed = int(seed)

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        for i, state in enumerate(seed_states(self.model)):
            entropy = np.random.SeedSequence([self.seed, epoch, i]).generate_state(1)[0]
            state.assign(np.array([entropy >> 1, 0], dtype=state.dtype))  # int64-safe


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """``keras.callbacks.EarlyStopping`` that starts from a previous session's best value
    and patience count instead of from scratch."""

    def __init__(self, monitor: str, patience: int, *, best: float | None = None,
                 wait: int = 0) -> None:
        super().__init__(monitor=monitor, patience=patience, mode=monitor_mode(monitor))
        self._resume_best = best
        self._resume_wait = wait

    def on_train_begin(self, logs=None) -> None:
        super().on_train_begin(logs)
        if self._resume_best is not None:
            self.best = self._resume_best
            self.wait = self._resume_wait

    def carry_over(self) -> None:
        """Start the next ``fit`` (the next phase of a fine-tuning) where this one ends."""
        self._resume_best, self._resume_wait = self.best, self.wait

    @property
    def triggered(self) -> bool:
        return self.stopped_epoch > 0


class EpochRecorder(keras.callbacks.Callback):
    """Commits each finished epoch: checkpoint, best checkpoint, history, then the state."""

    def __init__(self, out_dir: str | os.PathLike, state: TrainState, *,
                 guard: WallClockGuard | None = None) -> None:
        super().__init__()
        self.out_dir = Path(out_dir)
        self.state = state
        self.guard = guard
        self.mode = monitor_mode(state.monitor)

    def _learning_rate(self) -> float:
        return float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = {k: float(np.asarray(v)) for k, v in (logs or {}).items()}
        number = epoch + 1
        seconds = self.guard.last_epoch_seconds if self.guard is not None else 0.0
        row = {"epoch": number, **logs, "learning_rate": self._learning_rate(),
               "seconds": round(seconds, 3)}
        state = self.state
        name = checkpoint_name(number)
        save_model_atomic(self.model, self.out_dir / name)
        improved = _improves(logs.get(state.monitor), state.best_value, self.mode)
        history = tuple(state.history) + (row,)
        write_history_csv(history, self.out_dir / HISTORY_NAME)
        state = replace(
            state, epochs_completed=number, checkpoint=name, history=history,
            best_checkpoint=name if improved else state.best_checkpoint,
            best_value=logs[state.monitor] if improved else state.best_value,
            best_epoch=number if improved else state.best_epoch,
            train_seconds=state.train_seconds + seconds, stop_reason="running")
        state.save(self.out_dir)
        self.state = state
        keep = {state.checkpoint, state.best_checkpoint}
        for old in self.out_dir.glob("checkpoint-epoch-*.keras"):
            if old.name not in keep:
                old.unlink()


class ResourceReport(keras.callbacks.Callback):
    """Prints one line per epoch: RSS, anonymous memory, page cache, free disk."""

    def __init__(self, disk_path: str | os.PathLike, *, epochs: int,
                 printer: Callable[[str], None] = _print_now) -> None:
        super().__init__()
        self.disk_path = Path(disk_path)
        self.epochs = epochs
        self.printer = printer

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        snap = take_snapshot(self.disk_path)
        self.printer(f"[resources] epoch {epoch + 1}/{self.epochs}: {snap.line(self.disk_path)}")
