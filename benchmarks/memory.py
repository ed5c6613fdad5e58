"""Memory stays flat: peak anonymous memory of one training epoch over N and 8N samples.

Each size runs in a fresh process that trains for one epoch what the train kernel trains
(``kernel_path``: the article CNN behind its uint8 input, fed by the kernel's sequences over
uint8 shards with the ``[loader]`` defaults, batch 128) with Keras ``fit``. RssAnon (from /proc) is read
after every batch: it counts the process's own heap, not the mapped shard files, whose pages
belong to the page cache (RssFile) and may grow with the data without being a leak.
Both runs first train ``WARM_UP_BATCHES`` batches (TensorFlow's allocator grows during the
first ~600 batches, then stays flat). Last line: one JSON object with
``anon_growth_ratio = peak(8N) / peak(N)``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import emit, fashion_mnist_train, proc_status_kb, write_shards

WARM_UP_BATCHES = 800


def child(folder: str, batch: int) -> None:
    import keras

    from kernel_path import kernel_data, kernel_loader, kernel_model
    from shared.store import ShardSet

    shards = ShardSet.discover(folder)
    loader = kernel_loader(batch)
    sequence = kernel_data(shards, loader, batch).train
    model, _ = kernel_model(loader, shards.spec.sample_shape, batch, sequence.steps_per_epoch)
    # Warm up first: TensorFlow's allocator grows for the first ~600 batches of this model and
    # then stays flat; without this, N's shorter epoch would end before the plateau that 8N's
    # reaches, and the ratio would measure the warm-up, not the data.
    model.fit(sequence, steps_per_epoch=WARM_UP_BATCHES, epochs=1, shuffle=False, verbose=0)
    readings = {"anon": [], "file": []}

    class Probe(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            readings["anon"].append(proc_status_kb("RssAnon"))
            readings["file"].append(proc_status_kb("RssFile"))

    start = proc_status_kb("RssAnon")
    model.fit(sequence, steps_per_epoch=sequence.steps_per_epoch, epochs=1, shuffle=False,
              verbose=0, callbacks=[Probe()])
    print(json.dumps({"samples": len(shards.split("train")), "anon_start_kb": start,
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
        small = write_shards(Path(tmp) / "n", x, y, shard_files=8, test=x[:args.batch])
        large = write_shards(Path(tmp) / "8n", x, y, shard_files=64, copies=8,
                             test=x[:args.batch])
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
