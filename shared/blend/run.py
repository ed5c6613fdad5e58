"""run_blend: the blend kernel. Fold outputs in; ``submission.csv``, ``cv.json`` and a plot out.

1. Read the competition's ``sample_submission.csv`` for the task; collect the K fold outputs
   under the input root and check that they form one complete set (``folds.collect_folds``).
2. Average the folds' test predictions (probabilities or values, never labels) and write the
   submission the task's way; a multi-label threshold is chosen on all out-of-fold rows.
3. Score the out-of-fold predictions with the competition's metric: the CV score, each
   fold's score and their spread, in ``cv.json``, ``cv_folds.png`` and ``metrics.json``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from shared.assignment import BlendAssignment
from shared.blend.folds import FoldSet, collect_folds
from shared.inference.record import InferenceRecord
from shared.kaggle_paths import find_competition_dir
from shared.reports import plot_fold_scores
from shared.store.atomic import write_text_atomic
from shared.submission import SubmissionFormat, write_submission
from shared.tasks import task_for

__all__ = ["BlendOutcome", "run_blend", "CV_NAME"]

CV_NAME = "cv.json"
_FILES = {"submission": "submission.csv", "metrics": "metrics.json", "plot": "cv_folds.png"}


@dataclass(frozen=True)
class BlendOutcome:
    out_dir: Path
    cv: dict[str, Any]

    @property
    def submission(self) -> Path:
        return self.out_dir / _FILES["submission"]


def _fold_scores(task, folds: FoldSet, calibration: dict[str, Any]) -> list[float]:
    key = f"val_{task.metric}"
    return [float(task.validation_scores(f.load("oof_targets"), f.load("oof"),
                                         calibration)[key]) for f in folds.folds]


def _sample(input_dir: Path, assignment: BlendAssignment, task) -> SubmissionFormat:
    layout = assignment.source
    competition = find_competition_dir(input_dir, assignment.competition,
                                       layout.sample_submission)
    return SubmissionFormat.read(competition / layout.sample_submission,
                                 id_column=layout.id_column, task=task)


def run_blend(assignment: BlendAssignment, input_dir: str | Path,
              out_dir: str | Path) -> BlendOutcome:
    """Blend the fold outputs under ``input_dir`` into ``out_dir`` (see module docstring)."""
    started = time.monotonic()
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    layout = assignment.source
    task = task_for(layout)
    fmt = None if layout.test_at_inference else _sample(input_dir, assignment, task)
    folds = collect_folds(input_dir, folds=assignment.config.train.folds,
                          kernels=assignment.sources,
                          source_fingerprint=assignment.source_fingerprint,
                          test_ids=fmt.sample[fmt.id_column].to_numpy(dtype=str)
                          if fmt is not None else None)
    oof, targets = folds.oof()
    calibration = task.calibrate(targets, oof)
    key = f"val_{task.metric}"
    cv_score = float(task.validation_scores(targets, oof, calibration)[key])
    scores = _fold_scores(task, folds, calibration)
    if fmt is not None:
        test = np.mean([f.load("test").astype(np.float64) for f in folds.folds], axis=0)
        write_submission(fmt.fill(test, calibration=calibration),
                         out_dir / _FILES["submission"], fmt)
    else:  # the inference kernel averages the folds' models with what was chosen here
        InferenceRecord(role="blend", task=task.name, classes=assignment.spec.classes,
                        sample_shape=assignment.spec.sample_shape,
                        source_fingerprint=assignment.source_fingerprint,
                        prior=task.prior(targets), calibration=calibration,
                        tta=folds.folds[0].record.get("tta", "none"),
                        folds=len(folds.folds)).save(out_dir)
    cv = {"metric": task.metric, "cv_score": round(cv_score, 6),
          "higher_is_better": task.higher_is_better, "folds": [
              {"fold": f.fold, "kernel": assignment.sources[f.fold], "score": round(s, 6),
               "validated_rows": int(np.sum(folds.assignment == f.fold)),
               "stop_reason": f.record.get("stop_reason")}
              for f, s in zip(folds.folds, scores)],
          "spread": {"std": round(float(np.std(scores)), 6),
                     "min": round(min(scores), 6), "max": round(max(scores), 6)},
          **calibration}
    write_text_atomic(out_dir / CV_NAME, json.dumps(cv, indent=1))
    plot_fold_scores(scores, cv_score, task.metric, out_dir / _FILES["plot"],
                     title=f"{len(scores)}-fold {task.name}")
    first = folds.folds[0].record
    metrics = {"task": task.name, "metric": task.metric, key: cv_score, "cv_score": cv_score,
               "folds": len(scores), "fold_scores": scores, "tta": first.get("tta"),
               "stop_reason": "completed", "fallback": first.get("fallback"),
               "test_rows": len(fmt) if fmt is not None else 0,
               "wall_seconds": round(time.monotonic() - started, 2),
               **calibration}
    write_text_atomic(out_dir / _FILES["metrics"], json.dumps(metrics, indent=1))
    print(f"blended {len(scores)} folds: CV {task.metric} {cv_score:.5f} (folds "
          f"{', '.join(f'{s:.4f}' for s in scores)}); "
          + (f"submission in {out_dir}" if fmt is not None else
             "the inference kernel predicts the test set with the folds' models"), flush=True)
    return BlendOutcome(out_dir, cv)
