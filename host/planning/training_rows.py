"""How many rows the model trains on, known before any kernel runs.

The train kernel holds out ``[loader] validation_fraction`` of the train rows, stratified as
the task says (``shared.data.order.holdout``), or one fold of ``[train] folds``. The planner
runs the same functions on the planned targets: a hold-out that keeps no row (300 classes of
one or two images each, where a tenth of each class rounds to nothing) is refused here, and
the batch is fitted to the rows left (``shared.training.settings.fit_batch``). Rows the
preprocessing rejects later are not counted: the train kernel checks again.
"""

from __future__ import annotations

import numpy as np

from shared.config import PipelineConfig
from shared.data.order import holdout, kfold
from shared.sources import SourceLayout, SplitRows
from shared.tasks import task_for

__all__ = ["training_rows", "batch_note"]


def training_rows(layout: SourceLayout, train: SplitRows, config: PipelineConfig) -> int:
    """The rows the model trains on (the fewest of any fold); ValueError when a hold-out is
    asked for and keeps no row."""
    n, loader, folds = len(train), config.loader, config.train.folds
    strata = task_for(layout).stratify(train.labels)
    if folds > 1:
        if n < folds:
            return n  # refused by the fold check, with its own words
        sizes = np.bincount(kfold(n, folds, loader.seed, labels=strata), minlength=folds)
        return int(n - sizes.max())
    fitted, held = holdout(n, loader.validation_fraction, loader.seed, labels=strata)
    if loader.validation_fraction > 0 and not len(held):
        raise ValueError(_empty_holdout(n, loader.validation_fraction, strata))
    return len(fitted)


def _empty_holdout(n: int, fraction: float, strata: np.ndarray | None) -> str:
    why = ""
    if strata is not None:
        counts = np.bincount(np.asarray(strata, np.int64))
        counts = counts[counts > 0]
        why = (f": the hold-out is stratified by class, {fraction:g} of each class rounded, and "
               f"the {len(counts)} classes have {counts.min()} to {counts.max()} rows each")
    return (f"[loader] validation_fraction = {fraction:g} holds out no row of the {n} train "
            f"rows{why}. Set [train] folds = 5 to validate on every row in turn, or "
            "[loader] validation_fraction = 0 to train on every row without validation")


def batch_note(config: PipelineConfig, batch_size: int, rows: int) -> list[str]:
    """The plan's note when the batch was lowered to fit the training rows."""
    wanted = config.loader.batch_size
    if batch_size == wanted:
        return []
    return [f"[loader] batch_size {wanted} lowered to {batch_size}: the {rows} training rows "
            f"make no full batch of {wanted}, and every training batch is full (the global "
            "batch, batch_size x replicas: on more replicas the train kernel lowers it again)"]
