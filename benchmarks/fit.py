"""Training throughput of the train kernel's own path against the same model fed from memory.

- **kernel** (A): what ``kernels/train.py`` runs for the article CNN on Fashion-MNIST: the model
  from ``shared.models`` behind its uint8 input and normalisation layer
  (``shared.training.device_input.prepare_model``), its steps per execution from the kernel's
  own rule (``shared.training.steps``: 1 on a CPU), fed by ``build_training_data`` over uint8
  shards in 8 files with the ``[loader]`` defaults (block shuffle, read-ahead, uint8 out), and
  ``model.fit(sequence, shuffle=False)``.
- **memory** (B, the baseline): the same model, fed the same uint8 pixels from a numpy array,
  ``model.fit(x, y, shuffle=True)``: Keras' array adapter (``tf.data`` from tensors, C++).
- **no reads** (diagnostic): the same model fed by a ``PyDataset`` that returns one batch
  already in memory: what any Python ``PyDataset`` costs in Keras, reads aside.

One epoch per measurement, traced beforehand, in interleaved pairs (A B B A ...). The ratio of
a pair is A's samples/s over B's; reported as the median with its quartiles. Last line: one
JSON object.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import (emit, fashion_mnist_train, interleaved_ratios, median_and_quartiles,
                    write_shards)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kernel_path import kernel_data, kernel_loader, kernel_model  # noqa: E402

BATCH = 128


class NoReads(keras.utils.PyDataset):
    """``steps`` batches, all the same one, already in memory."""

    def __init__(self, x: np.ndarray, y: np.ndarray, steps: int) -> None:
        super().__init__()
        self.batch, self.steps = (x[:BATCH], y[:BATCH]), steps

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int):
        return self.batch


def epoch_rate(model: keras.Model, samples: int, **fit) -> float:
    start = time.perf_counter()
    model.fit(epochs=1, verbose=0, **fit)
    return samples / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--idx-dir", default=None)
    args = parser.parse_args()
    x, y, source = fashion_mnist_train(args.idx_dir)
    x, y = x[:args.samples], y[:args.samples]
    loader = kernel_loader(BATCH)
    with tempfile.TemporaryDirectory(prefix="bench-fit-") as tmp:
        shards = write_shards(Path(tmp) / "shards", x, y, shard_files=8, test=x[:BATCH])
        data = kernel_data(shards, loader, BATCH)
        steps = data.train.steps_per_epoch
        kernel, spe = kernel_model(loader, x.shape[1:], BATCH, steps)
        memory, _ = kernel_model(loader, x.shape[1:], BATCH, steps)
        ragged = len(x) % BATCH
        kernel.fit(data.train, steps_per_epoch=3, epochs=1, shuffle=False, verbose=0)
        memory.fit(x[:BATCH + ragged], y[:BATCH + ragged], batch_size=BATCH, verbose=0)
        ratios, kernel_rates, memory_rates = interleaved_ratios(
            lambda: epoch_rate(kernel, steps * BATCH, x=data.train, steps_per_epoch=steps,
                               shuffle=False),
            lambda: epoch_rate(memory, len(x), x=x, y=y, batch_size=BATCH, shuffle=True),
            args.pairs)
        no_reads, _ = kernel_model(loader, x.shape[1:], BATCH, steps)
        constant = NoReads(x, y, steps)
        no_reads.fit(constant, steps_per_epoch=3, epochs=1, shuffle=False, verbose=0)
        ceiling, _, _ = interleaved_ratios(
            lambda: epoch_rate(no_reads, steps * BATCH, x=constant, shuffle=False),
            lambda: epoch_rate(memory, len(x), x=x, y=y, batch_size=BATCH, shuffle=True),
            max(2, args.pairs // 2))
    ratio, quartiles = median_and_quartiles(ratios)
    no_reads_ratio, no_reads_quartiles = median_and_quartiles(ceiling)
    emit({
        "benchmark": "fit",
        "data": source,
        "samples": len(x),
        "backend": keras.backend.backend(),
        "model": "article CNN behind its uint8 input and normalisation layer (train kernel)",
        "batch": BATCH,
        "steps_per_execution": spe,
        "pairs": args.pairs,
        "kernel_samples_per_s": round(statistics.median(kernel_rates), 1),
        "memory_samples_per_s": round(statistics.median(memory_rates), 1),
        "fit_ratio_vs_memory": ratio,
        "fit_ratio_vs_memory_quartiles": quartiles,
        "no_reads_pydataset_ratio_vs_memory": no_reads_ratio,
        "no_reads_pydataset_ratio_vs_memory_quartiles": no_reads_quartiles,
        "target_fit_ratio_vs_memory": 0.97,
        "meets_target": ratio >= 0.97,
    })


if __name__ == "__main__":
    main()
