"""What a pretrained backbone is worth: one photo set, three dry runs, the same kernels.

No ImageNet weights can be downloaded here, so the preset is made here
(``host.examples.tiny_preset``): a tiny keras_hub ResNet (155k parameters) pretrained
on photos of the example competition's Fashion-MNIST items (``--renders`` photos of each,
``--pretrain-epochs`` epochs), saved with ``save_to_preset`` and its image converter in a
kagglehub-shaped cache. The fine-tuning set is another competition: photos
(``host.examples.photos``) of the items of ``tests/data``, none of which the backbone saw.
On it, one dry run each (``scripts/dry_run.py``'s kernels, the same epochs and batch):

- ``scratch``: the article's CNN from random weights (its own settings);
- ``random_weights``: the preset's architecture from random weights (``[train] weights =
  "random"``: trained from scratch, batch norm training);
- ``pretrained``: the preset, fine-tuned (the head alone for one epoch, then every layer).

Each is scored against the competition's ``solution.csv``. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from common import ROOT, emit

import numpy as np

from host.dryrun import DryRunOptions, run_dry_run
from host.examples.photos import build_photos
from host.examples.tiny_preset import (TINY_HANDLE, disjoint_items, example_items,
                                       pretrained_photo_preset)
from host.planning.presets import CACHE_ENV
from host.settings import HostConfig


def fine_tune_set(out: Path, count: int, seed: int, test_fraction: float) -> Path:
    """``count`` photos of the items of ``tests/data`` (test photos of its test items)."""
    with np.load(ROOT / "tests" / "data" / "fashion_mnist_tiny.npz") as z:
        source = (z["x_train"], z["y_train"], z["x_test"], z["y_test"])
    build_photos(out, count, seed=seed, test_fraction=test_fraction, min_side=48, max_side=96,
                 source=source, workers=2, quiet=True)
    return out


def dry_run(data: Path, work: Path, *, size: int, epochs: int, **train) -> dict:
    """One dry run; its local score, seconds and the train kernel's summary."""
    config = HostConfig().replace(
        competition={"slug": "pretrained-photos", "data_dir": str(data),
                     "max_fallback_fraction": 0.1},
        source={"image_size": [size, size]}, plan={"kernel_budget": "2MB"},
        loader={"batch_size": 32}, train={"epochs": epochs, **train})
    start = time.perf_counter()
    report = run_dry_run(DryRunOptions(config=config, data_dir=data, workdir=work, echo=None))
    metrics = report["train_metrics"]
    return {"accuracy": round(report["local_score"]["value"], 4),
            "seconds": round(time.perf_counter() - start, 1),
            "val_accuracy": metrics.get("val_accuracy"), "best_epoch": metrics.get("best_epoch"),
            "learning_rate": metrics["learning_rate"], **(
                {"head_epochs": metrics["preset"]["head_epochs"],
                 "fine_tune_rate": metrics["preset"]["fine_tune_rate"]}
                if "preset" in metrics else {})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=32, help="image side")
    parser.add_argument("--photos", type=int, default=500, help="the fine-tuning set")
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--epochs", type=int, default=12, help="of each fine-tuning dry run")
    parser.add_argument("--learning-rate", type=float, default=1e-2,
                        help="[train] learning_rate of both preset runs (the head's; every "
                             "layer's is a tenth of it after the head epoch): the family's "
                             "1e-3 gives 12 x 12 steps too little on so few photos")
    parser.add_argument("--renders", type=int, default=2, help="pretraining photos per item")
    parser.add_argument("--pretrain-epochs", type=int, default=6)
    parser.add_argument("--cache", type=Path, help="a kagglehub cache to keep the pretrained "
                        "preset in (and to take it from, when it is there already)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pretrained-") as tmp:
        tmp = Path(tmp)
        cache = args.cache or tmp / "kagglehub"
        os.environ[CACHE_ENV] = str(cache)
        with np.load(ROOT / "tests" / "data" / "fashion_mnist_tiny.npz") as z:
            held_out = np.concatenate([z["x_train"], z["x_test"]])
        items, labels = disjoint_items(example_items(ROOT / "examples" / "fashion-mnist-mini"),
                                       held_out)
        start = time.perf_counter()
        if not (cache / "models" / TINY_HANDLE).is_dir():
            pretrained_photo_preset(cache, items, labels, size=args.size,
                                    renders=args.renders, epochs=args.pretrain_epochs)
        pretrain_seconds = time.perf_counter() - start
        data = fine_tune_set(tmp / "photos", args.photos, seed=3,
                             test_fraction=args.test_fraction)
        common = dict(size=args.size, epochs=args.epochs)
        preset = dict(model=TINY_HANDLE, learning_rate=args.learning_rate)
        runs = {"scratch": dry_run(data, tmp / "w-scratch", model="article", **common),
                "random_weights": dry_run(data, tmp / "w-random", weights="random", **preset,
                                          **common),
                "pretrained": dry_run(data, tmp / "w-pretrained", **preset, **common)}
    score = {name: run["accuracy"] for name, run in runs.items()}
    emit({"benchmark": "pretrained", "handle": TINY_HANDLE, "image_size": args.size,
          "pretraining": {"items": len(items), "photos": len(items) * args.renders,
                          "epochs": args.pretrain_epochs,
                          "seconds": round(pretrain_seconds, 1)},
          "fine_tune_set": {"photos": args.photos, "test_fraction": args.test_fraction,
                            "epochs": args.epochs},
          "runs": runs, "accuracy": score,
          "pretrained_minus_random": round(score["pretrained"] - score["random_weights"], 4),
          "pretrained_minus_scratch": round(score["pretrained"] - score["scratch"], 4)})


if __name__ == "__main__":
    main()
