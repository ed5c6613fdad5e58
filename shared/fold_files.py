"""A fold kernel's predictions: what it writes, and how the blend kernel finds and reads them.

With ``[train] folds = K`` each fold kernel writes, beside its model, metrics and plots:

- ``oof_predictions.npy``: the model's outputs (probabilities or values) for every train
  sample of its fold; ``oof_rows.npy``: those samples' indices in the train split, ascending;
  ``oof_targets.npy``: their stored targets;
- ``test_predictions.npy``: its outputs for every row of ``sample_submission.csv``, in order
  (rows without an image: the training prior); ``test_ids.npy``: those rows' ids;
- ``fold_assignment.npy``: the fold of every train sample (the same in every fold kernel);
- ``fold.json``, written last: the fold, K, the task, the data's fingerprint, the
  assignment's checksum, how training ended, the fold's score, the rows without an image.

``fold.json`` is the commit point: the ``.npy`` files it describes are complete before it is
written, each atomically.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shared.kaggle_paths import find_files
from shared.store.atomic import write_bytes_atomic, write_text_atomic

__all__ = ["FOLD_RECORD", "FOLD_FORMAT", "FOLD_FILES", "FoldOutput", "assignment_checksum",
           "find_fold_outputs", "write_fold_predictions"]

FOLD_RECORD = "fold.json"
FOLD_FORMAT = "kaggle-pipeline-fold"
FOLD_FILES = {"oof": "oof_predictions.npy", "oof_rows": "oof_rows.npy",
              "oof_targets": "oof_targets.npy", "test": "test_predictions.npy",
              "test_ids": "test_ids.npy", "assignment": "fold_assignment.npy"}


def assignment_checksum(assignment: np.ndarray) -> str:
    """SHA-256 of the fold assignment's values (as int32, whatever the stored dtype)."""
    return hashlib.sha256(np.ascontiguousarray(assignment, np.int32).tobytes()).hexdigest()


def _save_npy(path: Path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    write_bytes_atomic(path, buffer.getvalue())


def write_fold_predictions(out_dir: str | Path, *, arrays: dict[str, np.ndarray],
                           record: dict[str, Any]) -> Path:
    """The ``.npy`` files of ``FOLD_FILES`` (``arrays`` by the same keys), then ``fold.json``
    (``record``, plus the format and the assignment's checksum)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    missing = sorted(set(FOLD_FILES) - set(arrays))
    if missing:
        raise ValueError(f"fold predictions lack {missing}")
    for key, name in FOLD_FILES.items():
        _save_npy(out_dir / name, arrays[key])
    record = {"format": FOLD_FORMAT, "version": 1, **record,
              "assignment_sha256": assignment_checksum(arrays["assignment"])}
    return write_text_atomic(out_dir / FOLD_RECORD, json.dumps(record, indent=1))


@dataclass(frozen=True)
class FoldOutput:
    """One fold kernel's output folder and its ``fold.json``."""

    folder: Path
    record: dict[str, Any]

    @property
    def fold(self) -> int:
        return int(self.record["fold"])

    def load(self, key: str) -> np.ndarray:
        """One of ``FOLD_FILES``; FileNotFoundError naming the folder when it is missing."""
        path = self.folder / FOLD_FILES[key]
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing, though {self.folder / FOLD_RECORD} "
                                    "lists it: that fold's output is incomplete; re-run it")
        return np.load(path, allow_pickle=False)


def find_fold_outputs(root: str | os.PathLike) -> list[FoldOutput]:
    """Every folder below ``root`` (any depth, links followed once) holding ``fold.json``."""
    found = []
    for path in find_files(root, FOLD_RECORD):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: unreadable ({exc}); re-run that fold kernel") from None
        if not isinstance(record, dict) or record.get("format") != FOLD_FORMAT:
            raise ValueError(f"{path}: not a fold record (expected \"format\": "
                             f"\"{FOLD_FORMAT}\")")
        found.append(FoldOutput(path.parent, record))
    return found
