"""K folds and their blend on the full Fashion-MNIST, through the kernels' own code.

For ``benchmarks/quality.py --folds K``: the shards ``quality.py`` writes, then K runs of
``run_training`` (what each fold kernel runs, ``[train] folds = K``, fold ``k``), then
``run_blend`` over their outputs (what the blend kernel runs). The blended submission is
scored against the true test labels, beside the out-of-fold CV estimate; the wall time of
the K fold runs is reported beside that of one single-model run (measured in the same
benchmark), since on Kaggle the folds run in parallel kernels, not one after the other.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable

import numpy as np

from shared.assignment import BlendAssignment, TrainAssignment

__all__ = ["run_folds"]


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target.resolve(), target_is_directory=True)


def run_folds(base: Path, inputs: Path, train: TrainAssignment, folds: int,
              competition: str, score: Callable[[Path], float], tta: str = "none",
              augment: str = "auto") -> dict:
    """Train ``folds`` folds of ``train`` on the shards in ``inputs``, blend them, score."""
    from shared.blend import run_blend
    from shared.tasks import task_for
    from shared.training import run_training
    from shared.training.settings import choose_training

    config = train.config.replace(train={"folds": folds, "tta": tta, "augment": augment})
    choices = choose_training(config, task_for(train.source))
    kernels = tuple(f"{train.kernel}-fold-{k}" for k in range(folds))
    seconds, fold_scores = [], []
    for k, kernel in enumerate(kernels):
        start = time.perf_counter()
        outcome = run_training(dataclasses.replace(train, kernel=kernel, fold=k, config=config,
                                                   choices=choices),
                               inputs, base / kernel, verbose=0)
        seconds.append(time.perf_counter() - start)
        fold_scores.append(outcome.metrics["val_accuracy"])
        print(f"fold {k}: val_accuracy {fold_scores[-1]:.4f} in {seconds[-1]:.0f} s",
              flush=True)
    blend_input = base / "blend-input"
    _link(inputs / competition, blend_input / competition)
    for kernel in kernels:
        _link(base / kernel, blend_input / kernel)
    blend = BlendAssignment(kernel=f"{train.kernel}-blend", competition=competition,
                            sources=kernels, spec=train.spec, source=train.source,
                            source_fingerprint=train.source_fingerprint, config=config)
    start = time.perf_counter()
    outcome = run_blend(blend, blend_input, base / "blend")
    blend_seconds = time.perf_counter() - start
    test = score(outcome.submission)
    cv = outcome.cv["cv_score"]
    return {"folds": folds, "epochs": config.train.epochs, "model": config.train.model,
            "tta": tta, "augment": choices.augment,
            "blended_test_accuracy": round(test, 4), "cv_accuracy": round(cv, 4),
            "cv_minus_test": round(cv - test, 4), "fold_val_accuracy": [
                round(s, 4) for s in fold_scores],
            "fold_spread": round(float(np.std(fold_scores)), 4),
            "fold_seconds": [round(s, 1) for s in seconds],
            "folds_seconds_total": round(sum(seconds), 1),
            "blend_seconds": round(blend_seconds, 1)}
