"""The competitions' metrics in numpy, as Kaggle computes them.

Accuracy, ROC AUC (exact, ties counted half, the Mann-Whitney statistic), multi-class log loss
(rows normalised, probabilities clipped at 1e-15), mean per-image F1 (samples-averaged),
RMSE and MAP@k (one true label per image: 1/rank of its first hit within the top k).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["accuracy", "roc_auc", "log_loss", "binary_log_loss", "mean_f1", "rmse", "map_at_k",
           "top_k_indices"]

_LOG_LOSS_EPS = 1e-15


def accuracy(true: np.ndarray, predicted: np.ndarray) -> float:
    """Share of equal entries."""
    true, predicted = np.asarray(true), np.asarray(predicted)
    return float(np.mean(true == predicted)) if len(true) else float("nan")


def roc_auc(true: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` for binary ``true`` (0/1); NaN with one class."""
    true = np.asarray(true).astype(bool)
    positives, negatives = int(true.sum()), int((~true).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = pd.Series(np.asarray(score, np.float64)).rank(method="average").to_numpy()
    return float((ranks[true].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def log_loss(true: np.ndarray, probabilities: np.ndarray) -> float:
    """Mean negative log probability of the true class (``true``: class indices)."""
    p = np.asarray(probabilities, np.float64)
    p = np.clip(p / p.sum(axis=1, keepdims=True), _LOG_LOSS_EPS, 1 - _LOG_LOSS_EPS)
    picked = p[np.arange(len(p)), np.asarray(true, np.int64)]
    return float(-np.mean(np.log(picked)))


def binary_log_loss(true: np.ndarray, probabilities: np.ndarray, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy over every entry (one or many sigmoid outputs per row),
    probabilities clipped to ``[eps, 1 - eps]`` (Keras' 1e-7; Kaggle's scorer 1e-15)."""
    y = np.asarray(true, np.float64).reshape(np.shape(probabilities))
    p = np.clip(np.asarray(probabilities, np.float64), eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def mean_f1(true: np.ndarray, predicted: np.ndarray) -> float:
    """F1 of each row's predicted tag set against its true set (multi-hot rows), averaged;
    a row with neither true nor predicted tags scores 1."""
    true = np.asarray(true).astype(bool)
    predicted = np.asarray(predicted).astype(bool)
    hits = (true & predicted).sum(axis=1)
    sizes = true.sum(axis=1) + predicted.sum(axis=1)
    f1 = np.where(sizes > 0, 2 * hits / np.maximum(sizes, 1), 1.0)
    return float(f1.mean())


def rmse(true: np.ndarray, predicted: np.ndarray) -> float:
    """Root mean squared error."""
    diff = np.asarray(true, np.float64) - np.asarray(predicted, np.float64)
    return float(np.sqrt(np.mean(diff * diff)))


def top_k_indices(scores: np.ndarray, k: int) -> np.ndarray:
    """Per row, the indices of the ``k`` largest scores, best first (ties: lower index)."""
    scores = np.asarray(scores)
    k = min(k, scores.shape[1])
    order = np.argsort(-scores, axis=1, kind="stable")
    return order[:, :k]


def map_at_k(true: np.ndarray, ranked: np.ndarray, k: int) -> float:
    """Mean average precision at ``k`` with one true label per row: ``1 / rank`` of the
    true label's first place among the first ``k`` of ``ranked``, 0 when absent."""
    true = np.asarray(true)
    ranked = np.asarray(ranked)[:, :k]
    hit = ranked == true[:, None]
    first = np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, 0)
    return float(np.mean(np.where(first > 0, 1.0 / np.maximum(first, 1), 0.0)))
