"""Training reports as PNG: the learning curves, and the validation report each task kind
draws (confusion matrix, ROC curve, predicted against true, F1 per tag).

Figures are drawn with matplotlib's object API on the Agg canvas (no pyplot, no display,
no global backend switch), and written atomically.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from shared.store.atomic import write_bytes_atomic

__all__ = ["confusion_matrix", "plot_training_curves", "plot_confusion_matrix",
           "plot_roc_curve", "plot_predicted_vs_true", "plot_tag_f1", "plot_fold_scores"]

_ANNOTATE_UP_TO = 20  # classes; beyond that the cells are too small for numbers


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts ``[true class, predicted class]``."""
    true = np.asarray(true, np.int64)
    predicted = np.asarray(predicted, np.int64)
    if true.shape != predicted.shape:
        raise ValueError(f"{len(true)} true labels and {len(predicted)} predictions")
    return np.bincount(true * num_classes + predicted,
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def _save(fig: Figure, path: str | os.PathLike) -> Path:
    FigureCanvasAgg(fig)
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=100)
    return write_bytes_atomic(path, png.getvalue())


def plot_training_curves(history: Sequence[Mapping[str, Any]], path: str | os.PathLike, *,
                         title: str = "", metric: str = "accuracy") -> Path:
    """Loss and ``metric`` per epoch, training and validation."""
    epochs = [row["epoch"] for row in history]
    fig = Figure(figsize=(10, 4), layout="constrained")
    for ax, metric in zip(fig.subplots(1, 2), ("loss", metric)):
        for key, style in ((metric, "-o"), (f"val_{metric}", "-s")):
            values = [row.get(key) for row in history]
            if any(v is not None for v in values):
                ax.plot(epochs, [np.nan if v is None else v for v in values], style,
                        markersize=3, label="validation" if key.startswith("val_") else "train")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        if ax.has_data():
            ax.legend()
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_confusion_matrix(matrix: np.ndarray, class_names: Sequence[Any],
                          path: str | os.PathLike, *, title: str = "") -> Path:
    """Row-normalised colours (recall per true class) with the raw counts written in."""
    matrix = np.asarray(matrix)
    k = len(class_names)
    if matrix.shape != (k, k):
        raise ValueError(f"matrix of shape {matrix.shape} for {k} classes")
    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    side = min(4 + 0.5 * k, 24)
    fig = Figure(figsize=(side, side * 0.85), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, label="fraction of the true class")
    names = [str(c) for c in class_names]
    ax.set_xticks(range(k), names, rotation=90 if k > 10 else 45, ha="center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if k <= _ANNOTATE_UP_TO:
        for (i, j), count in np.ndenumerate(matrix):
            ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                    color="white" if rates[i, j] > 0.5 else "black")
    accuracy = np.trace(matrix) / max(matrix.sum(), 1)
    ax.set_title(f"{title + ': ' if title else ''}validation accuracy {accuracy:.4f}")
    return _save(fig, path)


def plot_roc_curve(true: np.ndarray, score: np.ndarray, path: str | os.PathLike, *,
                   title: str = "", positive: str = "1") -> Path:
    """The ROC curve of ``score`` for binary ``true`` on the validation rows, with its AUC."""
    from shared.metrics import roc_auc

    true = np.asarray(true).astype(bool)
    order = np.argsort(-np.asarray(score, np.float64), kind="stable")
    hits = true[order]
    tpr = np.concatenate([[0.0], np.cumsum(hits) / max(hits.sum(), 1)])
    fpr = np.concatenate([[0.0], np.cumsum(~hits) / max((~hits).sum(), 1)])
    fig = Figure(figsize=(5, 5), layout="constrained")
    ax = fig.subplots()
    ax.plot(fpr, tpr, "-", label=f"AUC {roc_auc(true, score):.4f}")
    ax.plot([0, 1], [0, 1], ":", color="gray", label="chance")
    ax.set_xlabel(f"false positive rate (not {positive})")
    ax.set_ylabel(f"true positive rate ({positive})")
    ax.legend(loc="lower right")
    ax.set_title(f"{title + ': ' if title else ''}validation ROC")
    return _save(fig, path)


def plot_predicted_vs_true(true: np.ndarray, predicted: np.ndarray, path: str | os.PathLike, *,
                           title: str = "") -> Path:
    """A scatter of predicted against true values on the validation rows, with RMSE."""
    from shared.metrics import rmse

    true, predicted = np.asarray(true, np.float64), np.asarray(predicted, np.float64)
    fig = Figure(figsize=(5, 5), layout="constrained")
    ax = fig.subplots()
    ax.scatter(true, predicted, s=4, alpha=0.4)
    low, high = float(min(true.min(), predicted.min())), float(max(true.max(), predicted.max()))
    ax.plot([low, high], [low, high], ":", color="gray")
    ax.set_xlabel("true")
    ax.set_ylabel("predicted")
    ax.set_title(f"{title + ': ' if title else ''}validation RMSE {rmse(true, predicted):.4f}")
    return _save(fig, path)


def plot_tag_f1(tags: Sequence[str], f1: np.ndarray, support: np.ndarray,
                path: str | os.PathLike, *, title: str = "") -> Path:
    """F1 of each tag on the validation rows, with how many rows carry it."""
    k = len(tags)
    fig = Figure(figsize=(min(4 + 0.4 * k, 24), 4), layout="constrained")
    ax = fig.subplots()
    ax.bar(range(k), np.nan_to_num(np.asarray(f1, np.float64)))
    ax.set_xticks(range(k), [f"{t} ({n})" for t, n in zip(tags, support)],
                  rotation=90 if k > 8 else 30, ha="center")
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1 (validation)")
    ax.set_title(f"{title + ': ' if title else ''}F1 per tag (rows carrying it)")
    return _save(fig, path)


def plot_fold_scores(scores: Sequence[float], cv_score: float, metric: str,
                     path: str | os.PathLike, *, title: str = "") -> Path:
    """Each fold's out-of-fold score, with the blended CV score as a line."""
    k = len(scores)
    fig = Figure(figsize=(max(4, 1 + 0.8 * k), 4), layout="constrained")
    ax = fig.subplots()
    ax.bar(range(k), scores, color="tab:blue")
    ax.axhline(cv_score, color="tab:red", linestyle="--", label=f"CV {cv_score:.4f}")
    ax.set_xticks(range(k), [f"fold {i}" for i in range(k)])
    spread = max(scores) - min(scores) if k else 0.0
    low = min([*scores, cv_score]) - max(spread, 0.01)
    ax.set_ylim(low, max([*scores, cv_score]) + max(spread, 0.01))
    ax.set_ylabel(metric)
    ax.legend(loc="lower right")
    ax.set_title(f"{title + ': ' if title else ''}out-of-fold {metric} per fold")
    return _save(fig, path)
