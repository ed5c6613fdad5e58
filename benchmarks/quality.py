"""Quality: the full Fashion-MNIST (60k train / 10k test) through the training kernel's code.

Writes the real IDX data (``apt-get install dataset-fashion-mnist``) as shards of two
"preprocessing kernels", plus a competition folder with ``sample_submission.csv``; trains the
article's CNN (the baseline, measured in the same run) and the better built-in model with
``shared.training.run_training``, exactly as ``kernels/train.py`` does; scores each
``submission.csv`` against the true test labels. Last line: one JSON object with the test
accuracies, the epochs, seconds, and whether the targets hold (article >= 0.915 within 15
epochs, the benchmark table's "2 Conv+pooling" reaches 0.916; better >= 0.93).

``--kinds`` adds one entry per task kind (``quality_kinds.py``): a 6,000 / 2,000
Fashion-MNIST-derived competition of that kind through the whole dry run, 5 epochs at 48x48,
its metric beside the constant baseline. ``--models`` with no name skips the two models.

``--folds K`` adds a ``folds`` entry (``quality_folds.py``): the article's CNN trained on K
folds (15 epochs each) and blended, the blended test accuracy beside the single model's
(measured in the same run: keep ``article`` in ``--models``), the CV estimate and how far it
is from the test score, and the folds' wall time against K single runs. Targets: blended
accuracy >= 0.930, CV within 0.005 of the test score.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from common import emit
from quality_folds import run_folds
from quality_kinds import KINDS, run_kind

import numpy as np
import pandas as pd

from host.examples.idx import load_fashion_mnist
from shared.assignment import TrainAssignment
from shared.config import PipelineConfig
from shared.sources.layout import SourceLayout
from shared.store import DatasetSpec, PlanEntry, RowRange, ShardWriter, WriterOptions
from shared.tasks import task_for
from shared.training.settings import choose_training

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")
COMPETITION = "fashion-mnist-quality"
TARGETS = {"article": 0.915, "better": 0.93}
REFERENCE_2CONV_POOLING = 0.916


def write_inputs(root: Path, x_train, y_train, x_test) -> DatasetSpec:
    """Two kernels' shards (train halves; test with the second) and the competition."""
    n, m = len(x_train), len(x_test)
    spec = DatasetSpec(sample_shape=(28, 28, 1), split_rows={"train": n, "test": m},
                       classes=CLASSES, id_column="id", label_column="label", id_width=8)
    half = n // 2
    plan = [PlanEntry("preprocess-00", "train", 0, half),
            PlanEntry("preprocess-01", "train", half, n), PlanEntry("preprocess-01", "test", 0, m)]
    ids = [str(i + 1) for i in range(m)]
    for k, entries in enumerate((plan[:1], plan[1:])):
        ranges = [RowRange(e.split, e.start, e.stop) for e in entries]
        with ShardWriter(root / f"quality-preprocess-{k:02d}", spec=spec, ranges=ranges,
                         producer=f"preprocess-{k:02d}", plan=plan,
                         options=WriterOptions(shard_bytes=8 * 2**20)) as writer:
            for e in entries:
                if e.split == "train":
                    writer.add_batch("train", e.start, x_train[e.start:e.stop],
                                     y_train[e.start:e.stop])
                else:
                    writer.add_batch("test", 0, x_test, ids=ids)
    competition = root / COMPETITION
    competition.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"id": ids, "label": CLASSES[0]}).to_csv(
        competition / "sample_submission.csv", index=False)
    return spec


def assignment(spec: DatasetSpec, model: str, epochs: int) -> TrainAssignment:
    config = PipelineConfig().replace(train={"model": model, "epochs": epochs},
                                      loader={"batch_size": 128})
    layout = SourceLayout(kind="pixel_csv", train_csv="train.csv",
                          sample_submission="sample_submission.csv", id_column="id",
                          label_column="label", image_size=(28, 28), channels=1,
                          source_shape=(28, 28, 1), classes=CLASSES,
                          split_rows=dict(spec.split_rows))
    return TrainAssignment(kernel=f"quality-train-{model}", competition=COMPETITION,
                           sources=("quality-preprocess-00", "quality-preprocess-01"),
                           spec=spec, source=layout, source_fingerprint="", config=config,
                           choices=choose_training(config, task_for(layout)))


def score(submission: Path, y_test: np.ndarray) -> float:
    predicted = pd.read_csv(submission, dtype=str)["label"].map(CLASSES.index).to_numpy()
    return float(np.mean(predicted == y_test))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="*", default=["article", "better"],
                        choices=["article", "better"])
    parser.add_argument("--kinds", nargs="*", default=[], choices=list(KINDS),
                        help="task kinds to measure (quality_kinds.py); none by default")
    parser.add_argument("--folds", type=int, default=0,
                        help="also train K folds of the article's CNN and blend them")
    parser.add_argument("--fold-model", default="article", choices=["article", "better"])
    parser.add_argument("--fold-tta", default="none", choices=["none", "flip"],
                        help="[train] tta of the fold runs (flip needs --fold-augment flip)")
    parser.add_argument("--fold-augment", default="auto",
                        choices=["auto", "none", "flip", "shift", "flip_shift"],
                        help="[train] augment of the fold runs")
    parser.add_argument("--epochs", type=int, default=15, help="epochs per model (<= 15)")
    parser.add_argument("--samples", type=int, default=0, help="train rows (0 = all 60k)")
    parser.add_argument("--idx-dir", default=None)
    parser.add_argument("--keep", default="", help="keep the outputs in this folder")
    args = parser.parse_args()

    from shared.training import run_training

    x_train, y_train, x_test, y_test = load_fashion_mnist(args.idx_dir)
    if args.samples:
        x_train, y_train = x_train[:args.samples], y_train[:args.samples]
    x_train, x_test = x_train[..., None], x_test[..., None]
    results: dict = {"benchmark": "quality", "data": "fashion-mnist",
                     "train_rows": len(x_train), "test_rows": len(x_test)}
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        inputs = base / "input"
        spec = write_inputs(inputs, x_train, y_train.astype(np.int64), x_test)
        for kind in args.kinds:
            results.setdefault("kinds", {})[kind] = run_kind(
                kind, base / "kinds", (x_train, y_train, x_test, y_test), train=6000,
                test=2000, epochs=5, size=48)
        for model in args.models:
            out = base / f"working-{model}"
            start = time.perf_counter()
            outcome = run_training(assignment(spec, model, args.epochs), inputs, out)
            seconds = time.perf_counter() - start
            m = outcome.metrics
            results[model] = {
                "test_accuracy": round(score(outcome.submission, y_test), 4),
                "val_accuracy": round(m["val_accuracy"], 4),
                "epochs": m["epochs_completed"], "best_epoch": m["best_epoch"],
                "augment": m["augment"], "lr_schedule": m["lr_schedule"],
                "seconds": round(seconds, 1), "samples_per_s": m["samples_per_s"],
            }
        if args.folds:
            entry = run_folds(base / "folds", inputs,
                              assignment(spec, args.fold_model, args.epochs), args.folds,
                              COMPETITION, lambda path: score(path, y_test), tta=args.fold_tta,
                              augment=args.fold_augment)
            single = results.get(args.fold_model)
            if single:
                entry["single_model_test_accuracy"] = single["test_accuracy"]
                entry["single_model_seconds"] = single["seconds"]
                entry["folds_seconds_over_k_single_runs"] = round(
                    entry["folds_seconds_total"] / (args.folds * single["seconds"]), 3)
            target = 0.945 if args.fold_model == "better" else 0.930
            entry["targets"] = {"blended_test_accuracy": target, "abs_cv_minus_test": 0.005}
            entry["meets_target"] = entry["blended_test_accuracy"] >= target and \
                abs(entry["cv_minus_test"]) <= 0.005
            results["folds"] = entry
    results["reference_2conv_pooling"] = REFERENCE_2CONV_POOLING
    results["targets"] = {k: v for k, v in TARGETS.items() if k in args.models}
    if "article" in results and "better" in results:
        results["better_error_ratio_vs_article"] = round(
            (1 - results["better"]["test_accuracy"]) / (1 - results["article"]["test_accuracy"]), 3)
    results["meets_target"] = all(results[k]["test_accuracy"] >= v
                                  for k, v in results["targets"].items()) and args.epochs <= 15 \
        and all(entry.get("meets_target", True) for entry in results.get("kinds", {}).values()) \
        and results.get("folds", {}).get("meets_target", True)
    emit(results)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
