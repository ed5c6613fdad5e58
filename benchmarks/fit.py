"""Training throughput: the origin article's CNN for one epoch on 60k Fashion-MNIST images,
fed by ShardedSequence (uint8 shards over 8 files, block shuffle) against in-memory float32
arrays (``fit(x, y, shuffle=True)``), in the same run, on identically initialised models.

Both paths are traced first on a few batches of every shape they will see, so the measured
epoch holds no compilation. ``--with-classic`` adds the article's float32 memmap Sequence.
Last line: one JSON object with ``fit_ratio_vs_memory`` (samples/s through the shards over
samples/s from memory).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from common import emit, fashion_mnist_train, write_shards
from loader import ClassicMemmapSequence, write_classic

import keras  # noqa: E402
import numpy as np  # noqa: E402

from shared.data import ShuffleOptions
from shared.data.sequence import ShardedSequence  # noqa: E402

BATCH = 128


def article_cnn(classes: int = 10) -> keras.Model:
    """Conv 20@5x5 relu, maxpool 2, Conv 50@5x5 relu, maxpool 2, Dense 500 relu, softmax."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(20, 5, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(50, 5, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(500, activation="relu"),
        keras.layers.Dense(classes, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def run_memory(x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    model = article_cnn()
    ragged = len(x) % BATCH
    model.fit(x[:BATCH + ragged], y[:BATCH + ragged], batch_size=BATCH, epochs=1, verbose=0)
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=True, verbose=0)
    return time.perf_counter() - start, len(x)


def run_sequence(sequence: keras.utils.PyDataset, steps: int, samples: int) -> tuple[float, int]:
    model = article_cnn()
    model.fit(sequence, steps_per_epoch=3, epochs=1, shuffle=False, verbose=0)
    start = time.perf_counter()
    model.fit(sequence, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)
    return time.perf_counter() - start, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--with-classic", action="store_true")
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--idx-dir", default=None)
    args = parser.parse_args()
    x, y, source = fashion_mnist_train(args.idx_dir)
    x, y = x[:args.samples], y[:args.samples]
    with tempfile.TemporaryDirectory(prefix="bench-fit-") as tmp:
        split = write_shards(Path(tmp) / "shards", x, y, shard_files=8).split("train")
        sequence = ShardedSequence(split, batch_size=BATCH, drop_remainder=True,
                                   shuffle=ShuffleOptions(mode="block"))
        seq_s, seq_n = run_sequence(sequence, sequence.steps_per_epoch,
                                    sequence.steps_per_epoch * BATCH)
        mem_s, mem_n = run_memory((x / np.float32(255)).astype(np.float32), y)
        classic = None
        if args.with_classic:
            cls = ClassicMemmapSequence(write_classic(Path(tmp), x, y), len(x))
            classic = run_sequence(cls, len(cls), len(x))
    seq_rate, mem_rate = seq_n / seq_s, mem_n / mem_s
    result = {
        "benchmark": "fit",
        "data": source,
        "samples": len(x),
        "model": "article CNN (Conv20-5x5, pool, Conv50-5x5, pool, Dense500, softmax; Adam)",
        "sharded_seconds": round(seq_s, 2),
        "memory_seconds": round(mem_s, 2),
        "sharded_samples_per_s": round(seq_rate, 1),
        "memory_samples_per_s": round(mem_rate, 1),
        "fit_ratio_vs_memory": round(seq_rate / mem_rate, 3),
        "target_fit_ratio_vs_memory": 0.97,
        "meets_target": seq_rate / mem_rate >= 0.97,
    }
    if classic:
        result["classic_memmap_seconds"] = round(classic[0], 2)
        result["classic_ratio_vs_memory"] = round(classic[1] / classic[0] / mem_rate, 3)
    emit(result)


if __name__ == "__main__":
    main()
