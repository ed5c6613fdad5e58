"""Memory stays flat: peak anonymous memory of one training epoch over N and 8N samples.

Each size runs in a fresh process that trains a small model for one epoch through
ShardedSequence (block shuffle, batch 128) with Keras ``fit``. RssAnon (from /proc) is read
after every batch: it counts the process's own heap, not the mapped shard files, whose pages
belong to the page cache (RssFile) and may grow with the data without being a leak.
Last line: one JSON object with ``anon_growth_ratio = peak(8N) / peak(N)``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import emit, fashion_mnist_train, proc_status_kb, write_shards


def child(folder: str, batch: int) -> None:
    import keras

    from shared.data import ShuffleOptions
    from shared.data.sequence import ShardedSequence
    from shared.store import ShardSet

    split = ShardSet.discover(folder).split("train")
    sequence = ShardedSequence(split, batch_size=batch, drop_remainder=True,
                               shuffle=ShuffleOptions(mode="block"))
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3, strides=2),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10)])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(sequence, steps_per_epoch=3, epochs=1, shuffle=False, verbose=0)  # build, trace
    readings = {"anon": [], "file": []}

    class Probe(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            readings["anon"].append(proc_status_kb("RssAnon"))
            readings["file"].append(proc_status_kb("RssFile"))

    start = proc_status_kb("RssAnon")
    model.fit(sequence, steps_per_epoch=sequence.steps_per_epoch, epochs=1, shuffle=False,
              verbose=0, callbacks=[Probe()])
    print(json.dumps({"samples": len(split), "anon_start_kb": start,
                      "anon_peak_kb": max(readings["anon"]),
                      "file_peak_kb": max(readings["file"])}))


def measure(folder: Path, batch: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", str(folder), "--batch",
                           str(batch)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"child run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--idx-dir", default=None)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.batch)
        return
    x, y, source = fashion_mnist_train(args.idx_dir)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        small = write_shards(Path(tmp) / "n", x, y, shard_files=8)
        large = write_shards(Path(tmp) / "8n", x, y, shard_files=64, copies=8)
        del x, y
        one = measure(Path(tmp) / "n", args.batch)
        eight = measure(Path(tmp) / "8n", args.batch)
        assert len(small.split("train")) * 8 == len(large.split("train"))
    ratio = eight["anon_peak_kb"] / one["anon_peak_kb"]
    emit({
        "benchmark": "memory",
        "data": source,
        "samples_n": one["samples"],
        "samples_8n": eight["samples"],
        "anon_peak_mb_n": round(one["anon_peak_kb"] / 1024, 1),
        "anon_peak_mb_8n": round(eight["anon_peak_kb"] / 1024, 1),
        "anon_growth_during_epoch_mb_n": round((one["anon_peak_kb"] - one["anon_start_kb"]) / 1024, 1),
        "anon_growth_during_epoch_mb_8n": round((eight["anon_peak_kb"] - eight["anon_start_kb"]) / 1024, 1),
        "file_pages_peak_mb_n": round(one["file_peak_kb"] / 1024, 1),
        "file_pages_peak_mb_8n": round(eight["file_peak_kb"] / 1024, 1),
        "anon_growth_ratio": round(ratio, 4),
        "target_anon_growth_ratio": 1.05,
        "meets_target": ratio <= 1.05,
    })


if __name__ == "__main__":
    main()
