"""Resume state: ``train_state.json`` beside the checkpoints it names.

After every finished epoch the training kernel writes a full checkpoint
(``checkpoint-epoch-NNNN.keras``: weights and optimizer), the history so far, and then, last
and atomically, ``train_state.json``, which names that checkpoint and the best one. The state
file is the commit point: whatever it names is complete. A later session that mounts this
output as an input finds the state anywhere under the input root and continues at the next
epoch, provided the settings that decide the data order and the model are unchanged
(``TrainState.key``).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

from shared.kaggle_paths import find_files
from shared.store.atomic import atomic_path
from shared.store.manifest import write_json_atomic

__all__ = ["STATE_NAME", "TrainState", "find_resume_state", "checkpoint_name",
           "copy_atomic", "StateMismatchError"]

STATE_NAME = "train_state.json"
STATE_FORMAT = "kaggle-pipeline-train-state"
STATE_VERSION = 1


class StateMismatchError(ValueError):
    """A previous run's state was found but was made with other data or settings."""


def checkpoint_name(epoch: int) -> str:
    """File name of the checkpoint written after ``epoch`` (1-based) epochs."""
    return f"checkpoint-epoch-{epoch:04d}.keras"


@dataclass(frozen=True)
class TrainState:
    """Where training stands after ``epochs_completed`` epochs (see module docstring)."""

    key: Mapping[str, Any]
    epochs_completed: int = 0
    checkpoint: str = ""  # the last epoch's checkpoint (optimizer included)
    best_checkpoint: str = ""
    monitor: str = "val_accuracy"
    best_value: float | None = None
    best_epoch: int = 0  # 1-based; 0 = none yet
    stop_reason: str = "running"  # running | completed | early_stopping | time_limit
    history: tuple[Mapping[str, Any], ...] = ()
    train_seconds: float = 0.0
    sessions: int = 1
    format: str = STATE_FORMAT
    format_version: int = STATE_VERSION

    def save(self, folder: str | os.PathLike) -> Path:
        path = Path(folder) / STATE_NAME
        data = asdict(self)
        data["history"] = list(self.history)
        write_json_atomic(path, json.dumps(data, indent=1))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TrainState":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: unreadable training state ({exc}); detach that output "
                             "or delete the file to start training afresh") from None
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise ValueError(f"{path}: not a training state (expected \"format\": "
                             f"\"{STATE_FORMAT}\")")
        if data.get("format_version") != STATE_VERSION:
            raise ValueError(f"{path}: state format_version {data.get('format_version')!r}, "
                             f"this code reads {STATE_VERSION}; start training afresh")
        data["history"] = tuple(data.get("history", ()))
        data.pop("extra", None)  # an always-empty field that earlier versions wrote
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(f"{path}: malformed training state ({exc})") from None

    def check_key(self, key: Mapping[str, Any], where: str | os.PathLike) -> None:
        """Refuse to resume when the data order or the model would differ."""
        then, now = _flat(self.key), _flat(key)
        differ = [f"{name}: {then.get(name)!r} then, {value!r} now"
                  for name, value in now.items() if then.get(name) != value]
        if differ:
            raise StateMismatchError(
                f"{where} holds a previous training run made with other data or settings "
                f"({'; '.join(differ)}). Resuming would not continue the same run: restore those "
                "settings, or detach that output from the kernel's inputs to start afresh")


def _flat(key: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"shuffle": {"seed": 1}}`` as ``{"shuffle.seed": 1}``: differences name the option."""
    out: dict[str, Any] = {}
    for name, value in key.items():
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = value
    return out


def find_resume_state(root: str | os.PathLike) -> tuple[Path, TrainState] | None:
    """The one ``train_state.json`` under ``root`` (any depth), loaded, or None."""
    found = find_files(root, STATE_NAME)
    if not found:
        return None
    if len(found) > 1:
        raise ValueError(f"several training states under {root}: "
                         f"{', '.join(map(str, found))}; attach only the output of the run to "
                         "continue")
    state = TrainState.load(found[0])
    for name in {state.checkpoint, state.best_checkpoint} - {""}:
        if not (found[0].parent / name).is_file():
            raise FileNotFoundError(
                f"{found[0]} names {name}, which is missing beside it: that output is "
                "incomplete; detach it to start afresh")
    return found[0], state


def copy_atomic(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Copy under a hidden temporary name, fsync, rename: never a half-copied file."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)
