"""The fold kernels' outputs, checked to form one complete set before anything is blended.

Every fold ``0..K-1`` present once; all made from the same data (source fingerprint, task,
train and test rows) with the same fold assignment, which each fold's out-of-fold rows
follow, so every train sample is validated exactly once; the same test ids, in the order of
``sample_submission.csv``; and every fold's training finished. Each error names the fold and
its kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from shared.fold_files import FoldOutput, assignment_checksum, find_fold_outputs

__all__ = ["FoldSet", "FoldSetError", "collect_folds"]

_FINISHED = ("completed", "early_stopping")
_SAME = ("task", "folds", "source_fingerprint", "train_samples", "test_rows",
         "assignment_sha256")


class FoldSetError(ValueError):
    """The fold outputs found do not form one complete set."""


@dataclass(frozen=True)
class FoldSet:
    """The K fold outputs in fold order, with the assignment they share."""

    folds: tuple[FoldOutput, ...]
    assignment: np.ndarray

    def oof(self) -> tuple[np.ndarray, np.ndarray]:
        """Out-of-fold predictions and targets of every train sample, in sample order."""
        rows = [f.load("oof_rows") for f in self.folds]
        predictions = [f.load("oof") for f in self.folds]
        targets = [f.load("oof_targets") for f in self.folds]
        order = np.concatenate(rows)
        full_p = np.empty((len(order), *predictions[0].shape[1:]), np.float64)
        full_t = np.empty((len(order), *targets[0].shape[1:]), targets[0].dtype)
        full_p[order] = np.concatenate(predictions)
        full_t[order] = np.concatenate(targets)
        return full_p, full_t


def _name(kernels: Sequence[str], fold: int) -> str:
    return f"fold {fold} ({kernels[fold]})" if fold < len(kernels) else f"fold {fold}"


def collect_folds(root: str | Path, *, folds: int, kernels: Sequence[str],
                  source_fingerprint: str, test_ids: np.ndarray | None) -> FoldSet:
    """The checked set of ``folds`` fold outputs under ``root`` (see the module docstring);
    ``kernels[k]`` is fold ``k``'s kernel slug, named in errors. ``test_ids`` None: a code
    competition, whose folds predict no test rows."""
    found = find_fold_outputs(root)
    by_fold: dict[int, list[FoldOutput]] = {}
    for output in found:
        by_fold.setdefault(output.fold, []).append(output)
    twice = {k: v for k, v in by_fold.items() if len(v) > 1}
    if twice:
        k, outputs = next(iter(twice.items()))
        raise FoldSetError(f"{_name(kernels, k)} is mounted twice: "
                           f"{', '.join(str(o.folder) for o in outputs)}; attach each fold "
                           "kernel's output once")
    missing = [k for k in range(folds) if k not in by_fold]
    if missing:
        raise FoldSetError(
            f"{', '.join(_name(kernels, k) for k in missing)}: no output under {root} "
            f"({len(by_fold)} of {folds} folds found). A fold kernel that failed or was not "
            "attached has nothing to blend: re-run it (push.py --skip-unchanged re-runs only "
            "what is missing), and attach every fold kernel to the blend kernel")
    chosen = tuple(by_fold[k][0] for k in range(folds))
    extra = sorted(set(by_fold) - set(range(folds)))
    if extra:
        raise FoldSetError(f"fold output(s) {extra} under {root} do not belong to a {folds}-fold "
                           "run: detach them or rebuild the kernels with the same [train] folds")
    first = chosen[0].record
    if first.get("source_fingerprint") != source_fingerprint:
        raise FoldSetError(f"{_name(kernels, 0)} was trained on data with fingerprint "
                           f"{first.get('source_fingerprint')!r}, the blend kernel was built for "
                           f"{source_fingerprint!r}: re-run the fold kernels on this plan")
    for output in chosen[1:]:
        for field in _SAME:
            if output.record.get(field) != first.get(field):
                raise FoldSetError(
                    f"{_name(kernels, output.fold)} differs from {_name(kernels, 0)} in "
                    f"{field} ({output.record.get(field)!r} against {first.get(field)!r}): the "
                    "folds were not made from the same plan; re-run them together")
    for output in chosen:
        reason = output.record.get("stop_reason")
        if reason not in _FINISHED:
            raise FoldSetError(
                f"{_name(kernels, output.fold)} did not finish its training (stop_reason "
                f"{reason!r}): continue it (push.py --continue-training) before blending")
    assignment = chosen[0].load("assignment")
    if assignment_checksum(assignment) != first["assignment_sha256"]:
        raise FoldSetError(f"{_name(kernels, 0)}: {chosen[0].folder} holds a fold assignment "
                           "that does not match its fold.json: re-run that fold kernel")
    for output in chosen:
        rows = output.load("oof_rows")
        if not np.array_equal(rows, np.flatnonzero(assignment == output.fold)):
            raise FoldSetError(
                f"{_name(kernels, output.fold)} validated {len(rows)} rows, not the "
                f"{int(np.sum(assignment == output.fold))} its fold assignment gives it: re-run it")
        if test_ids is None:
            continue
        ids = output.load("test_ids")
        if len(ids) != len(test_ids) or not np.array_equal(ids.astype(str),
                                                           np.asarray(test_ids, str)):
            raise FoldSetError(
                f"{_name(kernels, output.fold)} predicted other test ids than "
                "sample_submission.csv lists (or in another order): re-run it on this "
                "competition's data")
    return FoldSet(chosen, assignment)
