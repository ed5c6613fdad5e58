"""Training reports as PNG: loss and accuracy curves, and the validation confusion matrix.

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

__all__ = ["confusion_matrix", "plot_training_curves", "plot_confusion_matrix"]

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
                         title: str = "") -> Path:
    """Loss and accuracy per epoch, training and validation, with the best epoch marked."""
    epochs = [row["epoch"] for row in history]
    fig = Figure(figsize=(10, 4), layout="constrained")
    for ax, metric in zip(fig.subplots(1, 2), ("loss", "accuracy")):
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
