"""After training: score the best model on the validation rows, predict the test split, and
write ``model.keras``, ``submission.csv``, ``metrics.json`` and the PNG reports: the learning
curves and the task's own report (confusion matrix, ROC curve, predicted against true, or
F1 per tag)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import keras
import numpy as np

from shared.data.sequence import ShardedSequence
from shared.fold_files import write_fold_predictions
from shared.inference.record import InferenceRecord
from shared.reports import plot_training_curves
from shared.store.manifest import write_json_atomic
from shared.submission import SubmissionFormat, write_submission
from shared.tasks import Task
from shared.training.sequences import PaddedBatches, TrainingData, prediction_sequence
from shared.training.state import TrainState, copy_atomic

__all__ = ["OUTPUT_NAMES", "predict_rows", "predict_views", "predict_probabilities",
           "write_outputs", "write_metrics"]

OUTPUT_NAMES = {"model": "model.keras", "submission": "submission.csv",
                "metrics": "metrics.json", "curves": "training_curves.png"}
_LISTED_IDS = 20  # of the test rows that got the fallback prediction


def predict_views(model: keras.Model, sequence: ShardedSequence, *, replicas: int = 1,
                  tta: str = "none") -> list[np.ndarray]:
    """``model.predict`` of a finite sequence, one output row per sample, for each view: the
    images as stored, then with ``tta = "flip"`` their left-right mirror. The last batch is
    padded to a multiple of ``replicas`` (as ``MirroredStrategy`` needs) and the padding
    dropped."""
    if sequence.num_samples == 0:
        return [np.zeros((0, model.output_shape[-1]), np.float32)]
    flips = (False, True) if tta == "flip" else (False,)
    return [np.asarray(model.predict(PaddedBatches(sequence, replicas, flip=flip), verbose=0),
                       np.float64)[:sequence.num_samples] for flip in flips]


def predict_rows(model: keras.Model, sequence: ShardedSequence, *, replicas: int = 1,
                 tta: str = "none") -> np.ndarray:
    """The mean of ``predict_views``: with ``tta = "flip"`` the image's and its mirror's."""
    views = predict_views(model, sequence, replicas=replicas, tta=tta)
    return sum(views) / len(views)


predict_probabilities = predict_rows  # its name in release 0.1


def _curve_metric(monitor: str) -> str:
    name = monitor[len("val_"):] if monitor.startswith("val_") else monitor
    return "accuracy" if name == "loss" else name


def _fallback(data: TrainingData, fmt: SubmissionFormat, prior: np.ndarray,
              calibration: dict[str, Any]) -> dict[str, Any]:
    """The test rows without an image, and what they get: the task's prior prediction."""
    rows = np.asarray(data.test.rejected_rows, np.int64)
    ids = fmt.sample[fmt.id_column].to_numpy(dtype=str)[rows[:_LISTED_IDS]]
    values = data.task.submission_values(prior[None, :], calibration)
    return {"rows": int(len(rows)), "ids": ids.tolist(),
            "values": {column: _plain(v[0]) for column, v in values.items()}}


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _validation_views(model: keras.Model, data: TrainingData, tta: str) -> list[np.ndarray]:
    """Predictions for ``data.val_targets``' rows (the hold-out, or every row of the fold),
    one array per view (``predict_views``)."""
    if data.fold_rows is not None:
        sequence = prediction_sequence(data.train.split, data.loader, data.global_batch,
                                       rows=data.fold_rows)
    elif data.validation is not None:
        sequence = data.validation
    else:
        return [np.zeros((0, model.output_shape[-1]))]
    return predict_views(model, sequence, replicas=data.replicas, tta=tta)


def _tta_effect(task: Task, true: np.ndarray, views: list[np.ndarray],
                scores: dict[str, float]) -> dict[str, Any]:
    """The hold-out's metric of the stored images alone beside that of the TTA mean; a warning
    when the mean scores worse."""
    if len(views) < 2 or not len(true):
        return {}
    key = f"val_{task.metric}"
    plain = task.validation_scores(true, views[0], task.calibrate(true, views[0]))[key]
    worse = scores[key] < plain if task.higher_is_better else scores[key] > plain
    if worse:
        print(f"warning: tta = flip made {key} worse on the validation rows ({plain:.4f} "
              f"without it, {scores[key]:.4f} with it): this model reads mirrored images "
              "badly; set [train] tta = \"none\" for this competition",
              file=sys.stderr, flush=True)
    return {f"{key}_without_tta": plain}


def _test_outputs(model: keras.Model, data: TrainingData, fmt: SubmissionFormat | None,
                  prior: np.ndarray, calibration: dict[str, Any], tta: str
                  ) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
    """One output row per row of the sample (rows without an image: ``prior``), the
    predictions of the test shards, and the fallback rows; none in a code competition
    (``fmt`` None), where the inference kernel predicts the test set."""
    if fmt is None:
        values = data.task.submission_values(prior[None, :], calibration)
        return (np.zeros((0, len(prior)), np.float32), None,
                {"rows": 0, "ids": [], "values": {c: _plain(v[0]) for c, v in values.items()}})
    predicted = predict_rows(model, prediction_sequence(data.test, data.loader,
                                                        data.global_batch),
                             replicas=data.replicas, tta=tta)
    fallback = _fallback(data, fmt, prior, calibration)
    if fallback["rows"]:
        print(f"warning: {fallback['rows']} test rows have no image (rejected in "
              f"preprocessing); they get the training set's prior prediction",
              file=sys.stderr, flush=True)
    return fmt.expand(data.test.source_rows(), predicted, prior), predicted, fallback


def write_outputs(*, out_dir: Path, model: keras.Model, best_checkpoint: Path,
                  data: TrainingData, fmt: SubmissionFormat | None,
                  state: TrainState, summary: dict[str, Any], tta: str = "none",
                  fold: int = 0) -> dict[str, Any]:
    """Model and reports of a finished (or time-limited) session, and ``submission.csv``, or
    with folds the fold's predictions for the blend (``shared.fold_files``); in a code
    competition (``fmt`` None) no test predictions but ``inference.json`` for the inference
    kernel. Returns the metrics for ``write_metrics``."""
    task = data.task
    copy_atomic(best_checkpoint, out_dir / OUTPUT_NAMES["model"])
    true = data.val_targets
    val_views = _validation_views(model, data, tta)
    val_predicted = sum(val_views) / len(val_views)
    calibration = task.calibrate(true, val_predicted)
    scores = task.validation_scores(true, val_predicted, calibration) if len(true) else {}
    tta_effect = _tta_effect(task, true, val_views, scores)
    prior = task.prior(data.train_targets)
    outputs, test_predicted, fallback = _test_outputs(model, data, fmt, prior, calibration, tta)
    if fmt is not None and data.fold_assignment is None:
        write_submission(fmt.fill(outputs, calibration=calibration),
                         out_dir / OUTPUT_NAMES["submission"], fmt)
    title = f"{summary.get('model', '')} CNN"
    plot_training_curves(state.history, out_dir / OUTPUT_NAMES["curves"], title=title,
                         metric=_curve_metric(state.monitor))
    if len(true):
        task.plot(true, val_predicted, calibration, out_dir / task.plot_name, title=title)
    metrics = {
        **summary,
        "task": task.name,
        "metric": task.metric,
        "tta": tta,
        **tta_effect,
        "val_accuracy": None,
        "val_loss": None,
        **scores,
        **calibration,
        "monitor": state.monitor,
        "best_epoch": state.best_epoch,
        "best_monitor_value": state.best_value,
        "epochs_completed": state.epochs_completed,
        "stop_reason": state.stop_reason,
        "train_samples": data.train.num_samples,
        "val_samples": len(true),
        "test_rows": len(fmt) if fmt is not None else 0,
        "test_rows_rejected": fallback["rows"],
        "fallback": fallback,
        "fallback_label": next(iter(fallback["values"].values())) if fallback["rows"] else None,
    }
    counts = task.predicted_counts(test_predicted) if test_predicted is not None else None
    if counts is not None:
        metrics["class_counts_predicted"] = counts
    scaling = [layer for layer in model.layers if layer.name == "target_units"]
    if scaling:  # regression: the targets' mean and std, as the model's head applies them
        config = scaling[0].get_config()
        metrics["target_standardisation"] = {"mean": config["offset"], "std": config["scale"]}
    folds = int(data.fold_assignment.max()) + 1 if data.fold_assignment is not None else 1
    if data.fold_assignment is not None:
        metrics.update(fold=fold, folds=folds)
        _write_fold(out_dir, data, fmt, fold, val_predicted, outputs, metrics)
    if fmt is None:
        InferenceRecord(role="fold" if folds > 1 else "train", task=task.name,
                        classes=data.spec.classes, sample_shape=data.spec.sample_shape,
                        source_fingerprint=summary.get("source_fingerprint", ""), prior=prior,
                        calibration=calibration, tta=tta, folds=folds, fold=fold,
                        model=OUTPUT_NAMES["model"]).save(out_dir)
    return metrics


def _write_fold(out_dir: Path, data: TrainingData, fmt: SubmissionFormat | None, fold: int,
                val_predicted: np.ndarray, outputs: np.ndarray,
                metrics: dict[str, Any]) -> None:
    task = data.task
    write_fold_predictions(out_dir, arrays={
        "oof": val_predicted.astype(np.float32), "oof_rows": data.fold_rows,
        "oof_targets": data.val_targets, "test": outputs.astype(np.float32),
        "test_ids": fmt.sample[fmt.id_column].to_numpy(dtype=str) if fmt is not None
        else np.zeros(0, str),
        "assignment": data.fold_assignment}, record={
        "fold": fold, "folds": metrics["folds"], "task": task.name,
        "source_fingerprint": metrics.get("source_fingerprint", ""),
        "train_samples": int(len(data.fold_assignment)),
        "test_rows": len(fmt) if fmt is not None else 0,
        "stop_reason": metrics["stop_reason"], "tta": metrics["tta"],
        "score": {"metric": task.metric, "value": metrics.get(f"val_{task.metric}")},
        "fallback": metrics["fallback"]})


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
