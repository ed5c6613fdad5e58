"""Local scoring: a submission against the solution file kept beside the competition data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["score_accuracy"]


def score_accuracy(submission: Path, solution: Path, id_column: str, label_column: str) -> float:
    """Share of ids whose predicted label equals the solution's (ids and labels compared as
    text, the way Kaggle reads a CSV)."""
    sub = pd.read_csv(submission, dtype=str, keep_default_na=False)
    sol = pd.read_csv(solution, dtype=str, keep_default_na=False)
    for name, frame in (("submission", sub), ("solution", sol)):
        missing = {id_column, label_column} - set(frame.columns)
        if missing:
            raise ValueError(f"{name} file lacks column(s) {sorted(missing)}: found "
                             f"{list(frame.columns)}")
    merged = sol.merge(sub, on=id_column, how="left", suffixes=("_true", "_pred"),
                       validate="one_to_one")
    missing_ids = merged[f"{label_column}_pred"].isna().sum()
    if missing_ids:
        raise ValueError(f"submission lacks {missing_ids} of the solution's {len(sol)} ids")
    return float((merged[f"{label_column}_true"] == merged[f"{label_column}_pred"]).mean())
