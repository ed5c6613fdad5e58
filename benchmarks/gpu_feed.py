"""Does the GPU wait on the loader? fit throughput against a ceiling, on the JAX backend.

Three cases: as in issue 11's table, the article CNN on 28x28x1 at batch 512 and ResNet50 (no
weights) on 224x224x3 at batch 128 under ``mixed_bfloat16``; and, as a pretrained backbone is
fine-tuned (issue 19), keras_hub's EfficientNet-B0 built from its config (random weights,
saved as a preset and built by the train kernel's own path: uint8 input, the converter's
normalisation, every layer training) at 224x224x3, batch 128, ``mixed_bfloat16``. For each,
``fit`` samples/s through five feeds (four for EfficientNet: its front reads uint8 only), in
one run, on identically built models:

- ``ceiling``: a PyDataset that returns one prepared uint8 batch: the loader does no work,
  the host-to-device copy stays;
- ``in_memory``: the same batches as the shards, gathered from uint8 arrays in RAM;
- ``shards_float32``: the loader as it was, float32 normalised on the host, for a model
  without a normalisation layer;
- ``shards_uint8``: the train kernel's default, uint8 batches normalised on the device;
- ``shards_uint8_workers4``: the same with 4 Keras worker threads.

Each configuration is timed for at least ``--seconds`` (steps calibrated after a warm-up that
compiles), ``--repeats`` times in alternating order, and the median is reported;
``ratio_vs_ceiling`` is ``shards_uint8`` over ``ceiling``. Then ``steps_per_execution``:
ms per step of a model that does almost no work (Keras' own cost per call) at 1 and 8 steps
per call, and the article CNN at 1 and at the ``auto`` value. Last, one timed dry run of the
train kernel (the embedded example, ``backend = "jax"``), then the same train kernel under the
data-parallel path (``distribute = "mirrored"``: ``keras.distribution.DataParallel`` over
every visible GPU; on one GPU the same code path with one replica) against it on one device,
in interleaved pairs (``data_parallel``, ``dp_vs_one_device``: the median of the pairs'
samples/s ratios, with quartiles). Without a GPU the same runs happen on the CPU (use the
size flags) and the JSON line says so. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

from common import (ROOT, emit, fashion_mnist_train, interleaved_ratios,  # noqa: E402
                    median_and_quartiles, write_shards)
from feed_cases import (Continue, OneBatch, InMemoryBatches, article_model,  # noqa: E402
                        efficientnet_b0_preset, preset_model, resnet_model, time_fit)

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

from shared.data import ShuffleOptions, WorkerOptions  # noqa: E402
from shared.data.sequence import ShardedSequence  # noqa: E402
from shared.training.steps import resolve_steps_per_execution  # noqa: E402

CONFIGS = ("ceiling", "in_memory", "shards_float32", "shards_uint8", "shards_uint8_workers4")
TARGETS = {"article_cnn_512": 0.90, "resnet50_224_bf16": 0.97,
           "efficientnet_b0_224_bf16": 0.95}


def feed_case(name: str, x: np.ndarray, y: np.ndarray, build, batch: int, folder: Path,
              seconds: float, repeats: int, configs: tuple[str, ...] = CONFIGS) -> dict:
    """samples/s of every configuration (of ``configs``) for one model and data set."""
    split = write_shards(folder / name, x, y, shard_files=8).split("train")

    def sequence(output: str, workers: int = 1) -> ShardedSequence:
        return ShardedSequence(split, batch_size=batch, drop_remainder=True,
                               shuffle=ShuffleOptions(mode="block"), output=output,
                               workers=WorkerOptions(workers=workers))

    reference = sequence("uint8")
    first = reference[0]
    feeds = {"ceiling": OneBatch(*first), "in_memory": InMemoryBatches(x, y, reference),
             "shards_float32": Continue(sequence("float32")),
             "shards_uint8": Continue(sequence("uint8")),
             "shards_uint8_workers4": Continue(sequence("uint8", workers=4))}
    models = {"pixels": build(True),
              "floats": build(False) if "shards_float32" in configs else None}
    model_of = {c: models["floats" if c == "shards_float32" else "pixels"] for c in configs}
    steps = {c: time_fit(model_of[c], feeds[c], None, seconds)[1] for c in configs}
    rates: dict[str, list[float]] = {c: [] for c in configs}
    for r in range(repeats):
        for c in (configs if r % 2 == 0 else configs[::-1]):
            rates[c].append(time_fit(model_of[c], feeds[c], steps[c], seconds)[0] * batch)
    med = {c: statistics.median(v) for c, v in rates.items()}
    out = {f"{c}_samples_per_s": round(v, 1) for c, v in med.items()}
    out.update({f"{c}_vs_ceiling": round(med[c] / med["ceiling"], 3) for c in configs[1:]})
    out["ratio_vs_ceiling"] = out["shards_uint8_vs_ceiling"]
    out["seconds_per_measurement"] = round(statistics.median(
        steps[c] * batch / med[c] for c in configs), 2)
    return out


def steps_section(batch: int, seconds: float) -> dict:
    """Keras' cost per call (a model doing almost no work) and the article CNN at 1 step
    per call and at the ``auto`` value."""
    x = np.zeros((batch, 28, 28, 1), np.uint8)
    y = np.zeros(batch, np.int64)
    out = {}
    for spe in (1, 8):
        tiny = keras.Sequential([keras.Input((28, 28, 1), dtype="uint8"),
                                 keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
                                 keras.layers.Dense(10)])
        tiny.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                     steps_per_execution=spe)
        rate, _ = time_fit(tiny, OneBatch(x, y), None, seconds)
        out[f"tiny_model_ms_per_step_spe_{spe}"] = round(1000 / rate, 3)
    accelerator = jax.devices()[0].platform != "cpu"
    auto = resolve_steps_per_execution("auto", article_model(True, (28, 28, 1)),
                                       global_batch=batch, steps_per_epoch=480,
                                       accelerator=accelerator)
    for spe in sorted({1, auto}):
        model = article_model(True, (28, 28, 1), steps_per_execution=spe)
        rate, _ = time_fit(model, OneBatch(x, y), None, seconds)
        out[f"article_{batch}_samples_per_s_spe_{spe}"] = round(rate * batch, 1)
    out["auto_steps_per_execution_article"] = auto
    return out


def dry_run_section(epochs: int) -> dict:
    """One dry run of the embedded example with the train kernel on JAX."""
    with tempfile.TemporaryDirectory(prefix="gpu-feed-dry-") as tmp:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(ROOT / "scripts" / "dry_run.py"),
                               "--workdir", tmp, "--disk-budget", "1MB", "--shard-size",
                               "200KB", "--backend", "jax", "--epochs", str(epochs)],
                              cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode:
            return {"dry_run_jax_failed": done.stdout[-1500:] + done.stderr[-1500:]}
        report = json.loads((Path(tmp) / "report.json").read_text())
    train = next(k for k in report["kernels"] if k["role"] == "train")
    metrics = report["train_metrics"]
    return {"dry_run_jax_seconds": round(wall, 1),
            "dry_run_jax_train_kernel_seconds": train["wall_seconds"],
            "dry_run_jax_epochs": epochs, "dry_run_jax_local_score": report["local_score"],
            "dry_run_jax_train": {k: metrics[k] for k in (
                "devices", "precision", "steps_per_execution", "samples_per_s")}}


def _train_run(workdir: str, epochs: int, *extra: str) -> dict:
    """One dry run of the embedded example's train kernel on JAX; its metrics.json."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "dry_run.py"), "--workdir",
                           workdir, "--disk-budget", "1MB", "--shard-size", "200KB",
                           "--backend", "jax", "--epochs", str(epochs), *extra],
                          cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stdout[-1500:] + done.stderr[-1500:])
    return json.loads((Path(workdir) / "report.json").read_text())["train_metrics"]


def data_parallel_section(epochs: int, pairs: int) -> dict:
    """The train kernel under ``distribute = "mirrored"`` (DataParallel over every visible
    GPU) against one device, interleaved: samples/s per run and the median ratio."""
    with tempfile.TemporaryDirectory(prefix="gpu-feed-dp-") as tmp:
        try:
            _train_run(tmp, 1)  # the preprocessing outputs, once
            runs: dict[str, list[dict]] = {"dp": [], "one": []}

            def measure(kind: str, *extra: str):
                def run() -> float:
                    metrics = _train_run(tmp, epochs, "--only", "train", *extra)
                    runs[kind].append(metrics)
                    return metrics["samples_per_s"]
                return run

            ratios, dp, one = interleaved_ratios(
                measure("dp", "--set", "train.distribute=mirrored"),
                measure("one", "--set", "train.distribute=none"), pairs)
        except RuntimeError as exc:
            return {"data_parallel_failed": str(exc)}
    last = runs["dp"][-1]
    ratio, quartiles = median_and_quartiles(ratios)
    return {"data_parallel": {
        "epochs": epochs, "pairs": pairs, "devices": last["devices"],
        "replicas": last["replicas"], "global_batch": last["global_batch"],
        "precision": last["precision"], "steps_per_execution": last["steps_per_execution"],
        "samples_per_s": [round(v, 1) for v in dp],
        "one_device_samples_per_s": [round(v, 1) for v in one],
        "val_accuracy": round(last["val_accuracy"], 4),
        "one_device_val_accuracy": round(runs["one"][-1]["val_accuracy"], 4),
        "dp_vs_one_device": ratio, "dp_vs_one_device_quartiles": quartiles}}


def efficientnet_case(args: argparse.Namespace, folder: Path) -> dict:
    """EfficientNet-B0 from its config, fine-tuned from shards (under the current policy)."""
    side = args.effnet_size
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (args.effnet_samples, side, side, 3), dtype=np.uint8)
    y = rng.integers(0, 10, args.effnet_samples)
    preset = efficientnet_b0_preset(folder / "efficientnet_b0", side)
    steps = args.effnet_samples // args.effnet_batch
    built = preset_model(preset, x.shape[1:], steps_per_epoch=steps)
    return {"samples": len(x), "batch": args.effnet_batch,
            "parameters": built.get_layer("backbone").count_params(), **feed_case(
                "effnet", x, y, lambda pixels: built, args.effnet_batch, folder,
                args.seconds, args.repeats,
                configs=tuple(c for c in CONFIGS if c != "shards_float32"))}


def _partial(result: dict) -> None:
    """What is measured so far, on stderr: a run stopped at a time limit still shows it."""
    print("partial: " + json.dumps(result), file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cnn-samples", type=int, default=60000)
    parser.add_argument("--cnn-batch", type=int, default=512)
    parser.add_argument("--resnet-size", type=int, default=224, help="image side (>= 32)")
    parser.add_argument("--resnet-samples", type=int, default=4096)
    parser.add_argument("--resnet-batch", type=int, default=128)
    parser.add_argument("--effnet-size", type=int, default=224, help="image side (>= 32)")
    parser.add_argument("--effnet-samples", type=int, default=4096)
    parser.add_argument("--effnet-batch", type=int, default=128)
    parser.add_argument("--dry-run-epochs", type=int, default=15, help="0 skips the dry run")
    parser.add_argument("--dp-pairs", type=int, default=3, help="interleaved pairs of the "
                        "data-parallel train kernel and one device (0 skips them)")
    args = parser.parse_args()
    devices = jax.devices()
    gpu = devices[0].platform == "gpu"
    result = {"benchmark": "gpu_feed", "backend": keras.backend.backend(),
              "device": f"{devices[0].platform}: {devices[0].device_kind}",
              "device_count": len(devices), "gpu": gpu}
    if not gpu:
        result["note"] = ("no GPU found: these are CPU figures at the sizes given; the GPU "
                          "targets (ResNet50 >= 0.97, article CNN >= 0.90, EfficientNet-B0 "
                          ">= 0.95) are not judged")
    x, y, source = fashion_mnist_train()
    x, y = x[:args.cnn_samples], y[:args.cnn_samples]
    side = args.resnet_size
    rng = np.random.default_rng(0)
    xr = rng.integers(0, 256, (args.resnet_samples, side, side, 3), dtype=np.uint8)
    yr = rng.integers(0, 10, args.resnet_samples)
    with tempfile.TemporaryDirectory(prefix="gpu-feed-") as tmp:
        keras.mixed_precision.set_dtype_policy("float32")
        result["article_cnn_512" if args.cnn_batch == 512 else f"article_cnn_{args.cnn_batch}"] \
            = {"data": source, "samples": len(x), "batch": args.cnn_batch, **feed_case(
                "cnn", x, y, lambda pixels: article_model(pixels, x.shape[1:]),
                args.cnn_batch, Path(tmp), args.seconds, args.repeats)}
        keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
        resnet_shape = xr.shape[1:]
        result[f"resnet50_{side}_bf16"] = {
            "samples": len(xr), "batch": args.resnet_batch, **feed_case(
                "resnet", xr, yr, lambda pixels: resnet_model(pixels, resnet_shape),
                args.resnet_batch, Path(tmp), args.seconds, args.repeats)}
        del xr
        _partial(result)
        result[f"efficientnet_b0_{args.effnet_size}_bf16"] = efficientnet_case(args, Path(tmp))
        keras.mixed_precision.set_dtype_policy("float32")
    _partial(result)
    result["steps_per_execution"] = steps_section(args.cnn_batch, args.seconds)
    _partial(result)
    if args.dry_run_epochs:
        result.update(dry_run_section(args.dry_run_epochs))
        _partial(result)
        if args.dp_pairs:
            result.update(data_parallel_section(args.dry_run_epochs, args.dp_pairs))
    result["targets_ratio_vs_ceiling"] = TARGETS
    result["meets_targets"] = {k: result[k]["ratio_vs_ceiling"] >= v for k, v in TARGETS.items()
                               if k in result} if gpu else None
    emit(result)


if __name__ == "__main__":
    main()
