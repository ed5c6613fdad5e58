"""The loader benchmark's 224x224x3 case and its worker-thread measurement (see loader.py).

``case_224``: synthetic 224x224x3 uint8 images (150 KB each) written as 8 shard files, read
block-shuffled by ShardedSequence (through ``DirectReads`` at this size) with uint8 output
(what the train kernel hands over) and with float32 output, against a memcpy ceiling: ``np.copyto`` of each batch's bytes from an
array in RAM into a reused buffer. uint8 and memcpy epochs alternate (A B B A ...) and the
ratio is the median of the pairs.

``workers_rates``: samples/s of the same sequence read the way ``fit`` reads it, through
Keras' ``PyDataset`` adapter (a private Keras module: there is no public iterator), with 1,
2 and 4 worker threads, in alternating rounds (median per count). ``keras_floor``: the same
for a PyDataset that does no work, in batches/s: what Keras' iteration itself costs.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import keras
import numpy as np
from common import write_shards

from shared.data import ShuffleOptions, WorkerOptions
from shared.data.sequence import ShardedSequence
from shared.store import SplitIndex

__all__ = ["case_224", "workers_rates", "keras_floor", "WORKER_COUNTS"]

WORKER_COUNTS = (1, 2, 4)
SHAPE_224 = (224, 224, 3)


def _sequence(split: SplitIndex, batch: int, *, output: str = "uint8",
              workers: int = 1) -> ShardedSequence:
    return ShardedSequence(split, batch_size=batch, shuffle=ShuffleOptions(mode="block"),
                           output=output, workers=WorkerOptions(workers=workers))


def _epoch_rate(sequence: ShardedSequence, epoch: int) -> float:
    steps = sequence.steps_per_epoch
    start = time.perf_counter()
    for i in range(epoch * steps, (epoch + 1) * steps):
        sequence[i]
    return steps * sequence.batch_size / (time.perf_counter() - start)


def _memcpy_rate(x: np.ndarray, batch: int) -> float:
    """One epoch of batch-sized ``np.copyto`` from RAM into a reused buffer."""
    out = np.empty((batch, *x.shape[1:]), np.uint8)
    steps = len(x) // batch
    start = time.perf_counter()
    for i in range(steps):
        np.copyto(out, x[i * batch:(i + 1) * batch])
    return steps * batch / (time.perf_counter() - start)


def _keras_rate(sequence: ShardedSequence, batches: int) -> float:
    from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

    adapter = PyDatasetAdapter(sequence, shuffle=False)
    adapter.on_epoch_begin()
    iterator = adapter.get_numpy_iterator()
    for _ in range(sequence.steps_per_epoch + 10):  # threads started, window buffers made
        next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    rate = batches * sequence.batch_size / (time.perf_counter() - start)
    adapter.on_epoch_end()
    return rate


class _Prepared(keras.utils.PyDataset):
    """A PyDataset that does no work: Keras' own cost per batch."""

    def __init__(self, x: np.ndarray, workers: int) -> None:
        super().__init__(workers=workers)
        self.x, self.batch_size, self.steps_per_epoch = x, len(x), 10

    @property
    def num_batches(self) -> None:
        return None

    def __len__(self) -> int:
        return self.steps_per_epoch

    def __getitem__(self, index: int):
        return self.x, None


def keras_floor(batches: int, rounds: int = 3) -> dict[int, int]:
    """Batches/s of Keras' iteration over a PyDataset that does no work, per thread count."""
    x = np.zeros((128, 28, 28, 1), np.uint8)
    rates: dict[int, list[float]] = {w: [] for w in WORKER_COUNTS}
    for r in range(rounds):
        for w in (WORKER_COUNTS if r % 2 == 0 else WORKER_COUNTS[::-1]):
            rates[w].append(_keras_rate(_Prepared(x, w), batches) / len(x))
    return {w: round(statistics.median(v)) for w, v in rates.items()}


def workers_rates(split: SplitIndex, batch: int, batches: int, rounds: int = 3
                  ) -> dict[int, int]:
    """Median samples/s through Keras' iteration for each of ``WORKER_COUNTS`` threads."""
    if batches <= 0:
        return {}
    rates: dict[int, list[float]] = {w: [] for w in WORKER_COUNTS}
    for r in range(rounds):
        for w in (WORKER_COUNTS if r % 2 == 0 else WORKER_COUNTS[::-1]):
            rates[w].append(_keras_rate(_sequence(split, batch, workers=w), batches))
    return {w: round(statistics.median(v)) for w, v in rates.items()}


def case_224(folder: Path, n: int, batch: int, epochs: int, workers_batches: int) -> dict:
    """The 224x224x3 keys of the loader benchmark's JSON line."""
    if n <= 0:
        return {}
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n, *SHAPE_224), dtype=np.uint8)
    split = write_shards(folder, x, rng.integers(0, 10, n), shard_files=8).split("train")
    uint8, float32 = _sequence(split, batch), _sequence(split, batch, output="float32")
    for seq in (uint8, float32):
        _epoch_rate(seq, 0)  # maps opened, buffers allocated
    _memcpy_rate(x, batch)
    rates: dict[str, list[float]] = {"uint8": [], "memcpy": [], "float32": []}
    paired = []
    for epoch in range(1, epochs + 1):
        if epoch % 2:
            a, b = _epoch_rate(uint8, epoch), _memcpy_rate(x, batch)
        else:
            b, a = _memcpy_rate(x, batch), _epoch_rate(uint8, epoch)
        rates["uint8"].append(a)
        rates["memcpy"].append(b)
        paired.append(a / b)
        rates["float32"].append(_epoch_rate(float32, epoch))
    window, reader = uint8.window_len, type(uint8.windows).__name__
    del uint8, float32, x
    # two epochs per worker count (each batch moves 19 MB)
    workers = workers_rates(split, batch, 2 * (n // batch) if workers_batches > 0 else 0)
    med = {k: statistics.median(v) for k, v in rates.items()}
    ratio = statistics.median(paired)
    return {
        "samples_224": n,
        "reader_224": reader,  # DirectReads: one copy per row (samples of 8 KiB and up)
        "window_rows_224": window,
        "uint8_224_samples_per_s": round(med["uint8"]),
        "float32_224_samples_per_s": round(med["float32"]),
        "memcpy_224_samples_per_s": round(med["memcpy"]),
        "ratio_uint8_vs_memcpy_224": round(ratio, 3),
        "ratio_uint8_vs_memcpy_224_quartiles": [round(q, 3) for q in
                                                statistics.quantiles(paired, n=4)],
        "ratio_uint8_vs_float32_224": round(med["uint8"] / med["float32"], 2),
        **{f"workers_{w}_224_samples_per_s": v for w, v in workers.items()},
        "target_ratio_uint8_vs_memcpy_224": 0.8,
        "meets_target_224": ratio >= 0.8,
    }
