"""Loader throughput: ShardedSequence against in-memory numpy, the classic float32 memmap and
a memcpy ceiling.

28x28x1: all three produce float32 batches of 128 Fashion-MNIST images normalised by /255.
ShardedSequence reads block-shuffled batches from uint8 shards spread over 8 files; the
in-memory baseline gathers the very same rows, in the same order, from a numpy array in RAM;
the classic recipe (the origin article) slices one float32 ``np.memmap`` in row order.
An epoch here lasts tens of milliseconds, so a busy machine can swing one measurement: the
two loaders run back to back for each epoch (alternating which goes first), the ratio is
taken per epoch, and ``ratio_vs_memory`` is the median of those paired ratios over many
epochs. The first epoch (cold maps and buffers) is reported apart, and so is the ratio
without the background read-ahead (``ratio_vs_memory_without_read_ahead``: each window is
then copied in turn, on the loader's own thread).

224x224x3 (``loader_cases.py``): the loader alone with uint8 output (what the train kernel
hands to the device) and with float32 output, against ``np.copyto`` of the same bytes per
batch from RAM; ``ratio_uint8_vs_memcpy_224`` is the median of paired epochs. Both sizes
are also read through Keras' own ``PyDataset`` iteration with 1, 2 and 4 worker threads
(``workers_*``), the measurement behind ``[loader] workers``.

TPU (``tpu_feed.py``, ``tpu_*`` keys): the loader at a TPU v5e-8's global batch (128 x 8)
against what its 8 chips would consume for the article CNN and for ResNet50. Last line: one
JSON object.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
from pathlib import Path

from common import emit, fashion_mnist_train, timed, write_shards
from loader_cases import case_224, keras_floor, workers_rates
from tpu_feed import tpu_feed

import keras  # noqa: E402
import numpy as np  # noqa: E402

from shared.data.order import epoch_order  # noqa: E402
from shared.data import ShuffleOptions, WorkerOptions
from shared.data.sequence import ShardedSequence  # noqa: E402

BATCH = 128


class InMemorySequence(keras.utils.PyDataset):
    """The baseline: the same batches as ``reference``, gathered from arrays in RAM."""

    def __init__(self, x: np.ndarray, y: np.ndarray, reference: ShardedSequence) -> None:
        super().__init__()
        self.x, self.y, self.ref = x.reshape(len(x), -1), y.astype(np.int32), reference
        self.orders: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return self.ref.steps_per_epoch

    def __getitem__(self, index: int):
        epoch, batch = self.ref.locate(index)
        order = self.orders.get(epoch)
        if order is None:
            order = self.orders[epoch] = epoch_order(len(self.x), epoch, self.ref.shuffle)
        rows = order[batch * BATCH:(batch + 1) * BATCH]
        x = np.multiply(self.x[rows], np.float32(1 / 255), dtype=np.float32)
        return x.reshape(len(rows), 28, 28, 1), self.y[rows]


class ClassicMemmapSequence(keras.utils.PyDataset):
    """The origin article's recipe: one float32 memmap, sliced in row order."""

    def __init__(self, path: Path, n: int) -> None:
        super().__init__()
        self.x = np.memmap(path, dtype=np.float32, mode="r", shape=(n, 28, 28, 1))
        self.y = np.memmap(path.with_suffix(".y"), dtype=np.uint8, mode="r", shape=(n,))
        self.n = n

    def __len__(self) -> int:
        return math.ceil(self.n / BATCH)

    def __getitem__(self, index: int):
        index %= len(self)
        sl = slice(index * BATCH, (index + 1) * BATCH)
        return np.array(self.x[sl]), np.array(self.y[sl], dtype=np.int32)  # what fit copies


def write_classic(folder: Path, x: np.ndarray, y: np.ndarray) -> Path:
    path = folder / "X_memmap.npy"
    mm = np.memmap(path, dtype=np.float32, mode="w+", shape=x.shape)
    mm[:] = x / np.float32(255)
    mm.flush()
    del mm
    np.asarray(y, np.uint8).tofile(path.with_suffix(".y"))
    return path


def epoch_rate(sequence, epoch: int) -> float:
    steps = len(sequence)
    first = epoch * steps

    def run():
        for i in range(first, first + steps):
            sequence[i]

    return steps * BATCH / timed(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=30, help="measured epochs after a warm-up")
    parser.add_argument("--idx-dir", default=None, help="folder of Fashion-MNIST IDX files")
    parser.add_argument("--samples-224", type=int, default=4096,
                        help="synthetic 224x224x3 samples (150 KB each; 0 skips the case)")
    parser.add_argument("--epochs-224", type=int, default=10, help="paired 224x224x3 epochs")
    parser.add_argument("--workers-batches", type=int, default=400,
                        help="batches timed per worker count (0 skips the workers part)")
    parser.add_argument("--tpu-epochs", type=int, default=5,
                        help="epochs timed at a TPU v5e-8's global batch (0 skips the TPU part)")
    parser.add_argument("--tpu-samples-224", type=int, default=2048,
                        help="synthetic 224x224x3 samples for the TPU part (< 1024 skips it)")
    args = parser.parse_args()

    x, y, source = fashion_mnist_train(args.idx_dir)
    n = len(x)
    with tempfile.TemporaryDirectory(prefix="bench-loader-") as tmp:
        folder = Path(tmp)
        shards = write_shards(folder / "shards", x, y, shard_files=8)
        split = shards.split("train")
        ours = ShardedSequence(split, batch_size=BATCH, shuffle=ShuffleOptions(mode="block"))
        alone = ShardedSequence(split, batch_size=BATCH, shuffle=ShuffleOptions(mode="block"),
                                workers=WorkerOptions(read_ahead=False))
        memory = InMemorySequence(x, y, ours)
        classic = ClassicMemmapSequence(write_classic(folder, x, y), n)
        rates = {"ours": [], "memory": [], "classic": []}
        paired: list[float] = []
        paired_alone: list[float] = []  # the same without read-ahead: windows read in turn
        first = {name: epoch_rate(seq, 0) for name, seq in
                 (("ours", ours), ("memory", memory), ("classic", classic))}
        epoch_rate(alone, 0)
        for epoch in range(1, args.epochs + 1):
            if epoch % 2:
                a, b = epoch_rate(ours, epoch), epoch_rate(memory, epoch)
                c = epoch_rate(alone, epoch)
            else:
                c = epoch_rate(alone, epoch)
                b, a = epoch_rate(memory, epoch), epoch_rate(ours, epoch)
            rates["ours"].append(a)
            rates["memory"].append(b)
            paired.append(a / b)
            paired_alone.append(c / b)
            rates["classic"].append(epoch_rate(classic, epoch))
        others = {}
        for mode in ("none", "full"):
            seq = ShardedSequence(split, batch_size=BATCH, shuffle=ShuffleOptions(mode=mode),
                                  repeat=True)
            epoch_rate(seq, 0)
            others[mode] = statistics.median(epoch_rate(seq, e) for e in range(1, 4))
        shard_bytes = sum(p.stat().st_size for p in (folder / "shards").glob("*.npy"))
        classic_bytes = (folder / "X_memmap.npy").stat().st_size
        workers_28 = workers_rates(split, BATCH, args.workers_batches)
        floor = keras_floor(10 * args.workers_batches) if args.workers_batches > 0 else {}
        del memory, classic
        large = case_224(folder / "shards-224", args.samples_224, BATCH, args.epochs_224,
                         args.workers_batches)
        tpu = tpu_feed(split, folder / "shards-tpu-224", args.tpu_samples_224, args.tpu_epochs)

    med = {k: statistics.median(v) for k, v in rates.items()}
    pixel_bytes = n * 28 * 28
    emit({
        "benchmark": "loader",
        "data": source,
        "samples": n,
        "shard_files": len(split.shards),
        "batch_size": BATCH,
        "measured_epochs": args.epochs,
        "sharded_block_samples_per_s": round(med["ours"]),
        "memory_samples_per_s": round(med["memory"]),
        "classic_float32_memmap_samples_per_s": round(med["classic"]),
        "ratio_vs_memory": round(statistics.median(paired), 3),
        "ratio_vs_memory_quartiles": [round(q, 3) for q in statistics.quantiles(paired, n=4)],
        "ratio_vs_memory_first_epoch": round(first["ours"] / first["memory"], 3),
        "ratio_vs_memory_without_read_ahead": round(statistics.median(paired_alone), 3),
        "ratio_classic_vs_memory": round(med["classic"] / med["memory"], 3),
        "sharded_none_samples_per_s": round(others["none"]),
        "sharded_full_samples_per_s": round(others["full"]),
        "disk_bytes_per_sample_over_pixel_bytes": round(shard_bytes / pixel_bytes, 4),
        "classic_disk_bytes_per_sample_over_pixel_bytes": round(classic_bytes / pixel_bytes, 4),
        "target_ratio_vs_memory": 0.9,
        "meets_target": statistics.median(paired) >= 0.9,
        **{f"workers_{k}_28_samples_per_s": v for k, v in workers_28.items()},
        **{f"keras_no_work_workers_{k}_batches_per_s": v for k, v in floor.items()},
        **large,
        **tpu,
    })


if __name__ == "__main__":
    main()
