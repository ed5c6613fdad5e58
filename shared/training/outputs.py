"""After training: score the best model on the validation rows, predict the test split, and
write ``model.keras``, ``submission.csv``, ``metrics.json`` and the two PNG reports."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from shared.config import LoaderConfig
from shared.data.sequence import ShardedSequence
from shared.reports import confusion_matrix, plot_confusion_matrix, plot_training_curves
from shared.store.manifest import write_json_atomic
from shared.submission import SubmissionFormat, write_submission
from shared.training.sequences import PaddedBatches, TrainingData, prediction_sequence
from shared.training.state import TrainState, copy_atomic

__all__ = ["OUTPUT_NAMES", "ValidationScore", "score_validation", "predict_test",
           "predict_probabilities", "write_outputs", "write_metrics"]

OUTPUT_NAMES = {"model": "model.keras", "submission": "submission.csv",
                "metrics": "metrics.json", "curves": "training_curves.png",
                "confusion": "confusion_matrix.png"}
_EPSILON = 1e-7  # Keras clips probabilities the same way in its cross-entropy


@dataclass(frozen=True)
class ValidationScore:
    accuracy: float | None
    loss: float | None
    matrix: np.ndarray | None


def predict_probabilities(model: keras.Model, sequence: ShardedSequence, *,
                          replicas: int = 1) -> np.ndarray:
    """``model.predict`` of a finite sequence, one row per sample; the last batch is padded
    to a multiple of ``replicas`` (as ``MirroredStrategy`` needs) and the padding dropped."""
    probs = model.predict(PaddedBatches(sequence, replicas), verbose=0)
    return np.asarray(probs)[:sequence.num_samples]


def score_validation(model: keras.Model, data: TrainingData) -> ValidationScore:
    """Accuracy, cross-entropy and confusion matrix of ``model`` on the held-out rows."""
    if data.validation is None:
        return ValidationScore(None, None, None)
    probs = predict_probabilities(model, data.validation, replicas=data.replicas
                                  ).astype(np.float64)
    true = data.val_labels
    predicted = probs.argmax(axis=1)
    picked = np.clip(probs[np.arange(len(true)), true], _EPSILON, 1.0)
    return ValidationScore(accuracy=float(np.mean(predicted == true)),
                           loss=float(-np.mean(np.log(picked))),
                           matrix=confusion_matrix(true, predicted, data.num_classes))


def predict_test(model: keras.Model, data: TrainingData, loader: LoaderConfig) -> np.ndarray:
    """Class index of every stored test sample, in row order."""
    if len(data.test) == 0:
        return np.zeros(0, np.int64)
    sequence = prediction_sequence(data.test, loader, data.global_batch)
    return predict_probabilities(model, sequence, replicas=data.replicas).argmax(axis=1)


def write_outputs(*, out_dir: Path, model: keras.Model, best_checkpoint: Path,
                  data: TrainingData, loader: LoaderConfig, fmt: SubmissionFormat,
                  state: TrainState, summary: dict[str, Any]) -> dict[str, Any]:
    """Model, submission and reports of a finished (or time-limited) session; returns the
    metrics for ``write_metrics``."""
    copy_atomic(best_checkpoint, out_dir / OUTPUT_NAMES["model"])
    score = score_validation(model, data)
    predicted = predict_test(model, data, loader)
    fallback = data.most_frequent_class()
    rejected = len(data.test.rejected_rows)
    if rejected:
        print(f"warning: {rejected} test rows have no image (rejected in preprocessing); "
              f"they get the most frequent training class {data.spec.classes[fallback]!r}",
              file=sys.stderr, flush=True)
    submission = fmt.build(data.test.source_rows(), predicted, fallback)
    write_submission(submission, out_dir / OUTPUT_NAMES["submission"], fmt)
    title = f"{summary.get('model', '')} CNN"
    plot_training_curves(state.history, out_dir / OUTPUT_NAMES["curves"], title=title)
    if score.matrix is not None:
        plot_confusion_matrix(score.matrix, data.spec.classes, out_dir / OUTPUT_NAMES["confusion"],
                              title=title)
    metrics = {
        **summary,
        "val_accuracy": score.accuracy,
        "val_loss": score.loss,
        "monitor": state.monitor,
        "best_epoch": state.best_epoch,
        "best_monitor_value": state.best_value,
        "epochs_completed": state.epochs_completed,
        "stop_reason": state.stop_reason,
        "train_samples": data.train.num_samples,
        "val_samples": len(data.val_labels),
        "test_rows": len(fmt),
        "test_rows_rejected": rejected,
        "fallback_label": data.spec.classes[fallback] if rejected else None,
        "class_counts_predicted": np.bincount(predicted, minlength=data.num_classes).tolist(),
    }
    return metrics


def write_metrics(out_dir: Path, metrics: dict[str, Any]) -> Path:
    """``metrics.json``, written atomically."""
    path = Path(out_dir) / OUTPUT_NAMES["metrics"]
    write_json_atomic(path, json.dumps(metrics, indent=1, default=_json_default))
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
