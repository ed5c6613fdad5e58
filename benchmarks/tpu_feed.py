"""The loader benchmark's TPU section: can one Python loader feed a TPU v5e-8?

On a TPU shape the train kernel reads global batches of ``batch_size`` x 8 (1024 at the
default 128) from one ``ShardedSequence`` and hands each to JAX, which shards it over the 8
chips. This measures that loader alone (uint8 output, block shuffle, batches of 1024, read
as ``sequence[i]``: the loader's own ceiling, before Keras' iteration) on 28x28x1
Fashion-MNIST shards and on synthetic 224x224x3 shards, and sets it against what 8 chips
would consume for the article CNN and for ResNet50 (no weights) at those sizes, at two
bounds that bracket the truth:

- ``at_peak``: every chip at its bfloat16 peak (197 TFLOP/s for a v5e): the most they
  could ever take; a loader at or above it is never the bottleneck;
- ``at_estimate``: every chip at ``shared.training.steps.TPU_CHIP_FLOPS`` (the 2 % of peak
  the H100 reached on the article CNN, the figure that sizes the TPU's steps per call); a
  loader below it is the bottleneck.

A model's consumption is chips x FLOP/s / (6 x its multiply-adds per sample), as
``shared.training.steps`` estimates a step. No TPU was measured: the chip figures are
estimates, the loader's rates are measured here. Ratios are per epoch, median and quartiles.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import keras
import numpy as np
from common import median_and_quartiles, write_shards

from shared.data import ShuffleOptions
from shared.data.sequence import ShardedSequence
from shared.models import build_model
from shared.store import SplitIndex
from shared.training.steps import TPU_CHIP_FLOPS, multiply_adds

__all__ = ["tpu_feed", "CHIPS", "V5E_PEAK_FLOPS", "PER_CHIP_BATCH"]

CHIPS = 8
V5E_PEAK_FLOPS = 197e12  # bfloat16, one TPU v5e chip (Google's published figure)
PER_CHIP_BATCH = 128  # [loader] batch_size's default: the global batch is 128 x 8


def _rates(split: SplitIndex, batch: int, epochs: int) -> list[float]:
    """samples/s of ``epochs`` epochs after a warm-up one."""
    sequence = ShardedSequence(split, batch_size=batch, drop_remainder=True,
                               shuffle=ShuffleOptions(mode="block"), output="uint8")
    steps = sequence.steps_per_epoch
    rates = []
    for epoch in range(epochs + 1):
        start = time.perf_counter()
        for i in range(epoch * steps, (epoch + 1) * steps):
            sequence[i]
        if epoch:  # epoch 0 opens the maps and allocates the buffers
            rates.append(steps * batch / (time.perf_counter() - start))
    return rates


def _consumption(model: keras.Model) -> dict[str, float]:
    flops = 6.0 * multiply_adds(model)
    return {"at_peak": CHIPS * V5E_PEAK_FLOPS / flops,
            "at_estimate": CHIPS * TPU_CHIP_FLOPS / flops}


def _case(name: str, split: SplitIndex, model: keras.Model, epochs: int) -> dict:
    batch = PER_CHIP_BATCH * CHIPS
    rates = _rates(split, batch, epochs)
    consumes = _consumption(model)
    out = {f"loader_{name}_samples_per_s": round(statistics.median(rates)),
           f"loader_{name}_samples_per_s_quartiles": median_and_quartiles(rates, 0)[1]}
    for bound, rate in consumes.items():
        ratio, quartiles = median_and_quartiles([r / rate for r in rates])
        out[f"v5e8_{name}_consumes_samples_per_s_{bound}"] = round(rate)
        out[f"ratio_loader_vs_v5e8_{name}_{bound}"] = ratio
        out[f"ratio_loader_vs_v5e8_{name}_{bound}_quartiles"] = quartiles
    return out


def tpu_feed(split_28: SplitIndex, folder: Path, samples_224: int, epochs: int) -> dict:
    """The ``tpu_*`` keys of the loader benchmark's JSON line."""
    if epochs <= 0:
        return {}
    out = {"tpu_global_batch": PER_CHIP_BATCH * CHIPS, "tpu_chips": CHIPS,
           "tpu_chip_flops_peak": V5E_PEAK_FLOPS, "tpu_chip_flops_estimate": TPU_CHIP_FLOPS,
           "tpu_epochs": epochs}
    article = build_model("article", (28, 28, 1), 10, seed=0)
    out.update(_case("article_28", split_28, article, epochs))
    if samples_224 >= PER_CHIP_BATCH * CHIPS:
        rng = np.random.default_rng(1)
        x = rng.integers(0, 256, (samples_224, 224, 224, 3), dtype=np.uint8)
        split = write_shards(folder, x, rng.integers(0, 10, samples_224), shard_files=8)
        del x
        resnet = keras.applications.ResNet50(weights=None, input_shape=(224, 224, 3),
                                             classes=10)
        out.update({"tpu_samples_224": samples_224,
                    **_case("resnet50_224", split.split("train"), resnet, epochs)})
    return out
