"""Local scoring: a submission against the solution file kept beside the competition data.

``solution.csv`` has the sample submission's columns, holding the true values (the class, 0/1,
the tags, the number, the true label of a top-k row, or one-hot rows for class
probabilities). Both files are read as text and aligned by id; the task computes the
competition's metric (``shared.tasks``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shared.tasks import Task

__all__ = ["score_submission"]


def score_submission(submission: Path, solution: Path, id_column: str, task: Task) -> dict:
    """``{"metric": name, "value": score}`` of ``submission`` against ``solution``."""
    sub = pd.read_csv(submission, dtype=str, keep_default_na=False)
    sol = pd.read_csv(solution, dtype=str, keep_default_na=False)
    columns = [id_column, *task.value_columns]
    for name, frame in (("submission", sub), ("solution", sol)):
        missing = sorted(set(columns) - set(frame.columns))
        if missing:
            raise ValueError(f"{name} file lacks column(s) {missing}: found "
                             f"{list(frame.columns)}, expected {columns}")
    merged = sol[columns].merge(sub[columns], on=id_column, how="left",
                                suffixes=("", "_pred"), validate="one_to_one")
    predicted = merged[[f"{c}_pred" for c in task.value_columns]]
    missing_ids = int(predicted.isna().any(axis=1).sum())
    if missing_ids:
        raise ValueError(f"submission lacks {missing_ids} of the solution's {len(sol)} ids")
    predicted.columns = list(task.value_columns)
    value = task.score(predicted.reset_index(drop=True),
                       merged[list(task.value_columns)].reset_index(drop=True))
    return {"metric": task.metric if task.metric != "map_at_k" else f"map_at_{task.k}",
            "value": round(float(value), 5)}
