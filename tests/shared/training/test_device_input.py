"""The model's uint8 input and normalisation layer, steps per execution, precision, and the
backend setting."""

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from shared.data import Normalization
from shared.models import build_model
from shared.training.backend import check_backend, select_backend
from shared.training.device_input import (prepare_model, set_steps_per_execution,
                                          takes_pixels, with_pixel_input)
from shared.training.precision import Chip, resolve_precision
from shared.training.steps import multiply_adds, resolve_steps_per_execution

ROOT = Path(__file__).resolve().parents[3]


def pixels(n=6, shape=(12, 10, 3)):
    return np.random.default_rng(0).integers(0, 256, (n, *shape), dtype=np.uint8)


@pytest.mark.parametrize("norm", [Normalization(), Normalization(mean=(0.4,), std=(0.2,)),
                                  Normalization(mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.3))])
def test_the_pixel_model_equals_the_model_on_host_normalised_floats(norm):
    model = build_model("article", (12, 10, 3), 4, seed=0)
    wrapped = with_pixel_input(model, (12, 10, 3), norm)
    x = pixels()
    a, b = norm.coefficients(3)
    host = x * a + (0 if b is None else b)
    np.testing.assert_allclose(wrapped.predict(x, verbose=0), model.predict(host, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert takes_pixels(wrapped) and not takes_pixels(model)
    assert wrapped.layers[0].name == "normalize"  # Sequential stays flat, weights shared
    assert wrapped.layers[1:] == model.layers


def test_model_keras_carries_the_normalisation_and_the_compile(tmp_path):
    model = build_model("better", (12, 10, 3), 4, seed=1)
    wrapped = prepare_model(model, sample_shape=(12, 10, 3), output="uint8",
                            normalization=Normalization(mean=(0.5, 0.4, 0.3),
                                                        std=(0.2, 0.25, 0.3)))
    x, y = pixels(16), np.arange(16) % 4
    wrapped.fit(x, y, epochs=1, verbose=0)
    wrapped.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.inputs[0].dtype == "uint8" and loaded.loss == model.loss
    np.testing.assert_allclose(loaded.predict(x, verbose=0), wrapped.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    # the optimizer state came back whole: training goes on where it stopped
    assert int(loaded.optimizer.iterations) == int(wrapped.optimizer.iterations) == 1
    assert prepare_model(model, sample_shape=(12, 10, 3), output="float32",
                         normalization=Normalization()) is model


def test_a_functional_model_is_nested_behind_the_pixel_input():
    inputs = keras.Input((8, 8, 1))
    outputs = keras.layers.Dense(2)(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, outputs)
    wrapped = with_pixel_input(model, (8, 8, 1))
    x = pixels(3, (8, 8, 1))
    np.testing.assert_allclose(wrapped.predict(x, verbose=0),
                               model.predict(x / np.float32(255), verbose=0), rtol=1e-5)


def test_steps_per_execution_is_set_for_the_next_fit():
    model = build_model("article", (12, 10, 3), 4, seed=0)
    set_steps_per_execution(model, 4)
    model.fit(pixels(40) / 255, np.arange(40) % 4, batch_size=4, epochs=1, verbose=0)
    assert model.steps_per_execution == 4 and int(model.optimizer.iterations) == 10


def test_multiply_adds_of_the_article_cnn():
    model = build_model("article", (28, 28, 1), 10)
    convs = 28 * 28 * 25 * 20 + 14 * 14 * 25 * 20 * 50
    assert multiply_adds(model) == convs + 7 * 7 * 50 * 500 + 500 * 10
    assert multiply_adds(with_pixel_input(model, (28, 28, 1))) == multiply_adds(model)


@pytest.mark.parametrize("setting, accelerator, batch, steps, expected", [
    ("auto", False, 128, 421, 1),   # CPU: a step costs far more than Keras' call
    (6, False, 128, 421, 6),        # a number is taken as given
    ("auto", True, 128, 420, 7),    # the article CNN is short on a GPU: 8 wanted, 7 divides
    ("auto", True, 512, 100, 2),    # a larger batch needs fewer
    ("auto", True, 128, 7, 7),      # never more than the epoch
])
def test_auto_steps_per_execution(setting, accelerator, batch, steps, expected):
    model = build_model("article", (28, 28, 1), 10)
    assert resolve_steps_per_execution(setting, model, global_batch=batch, steps_per_epoch=steps,
                                       accelerator=accelerator) == expected


@pytest.mark.parametrize("batch, replicas, steps, expected", [
    (1024, 8, 420, 4),  # the article CNN at 128 x 8 chips: 1.25 ms a step against 5 ms a call
    (1024, 8, 2, 2),    # never more than the epoch (the demo: 2 steps of 1024)
    (128, 1, 420, 4),   # one chip at 128: the same step time
])
def test_auto_steps_per_execution_on_a_tpu(batch, replicas, steps, expected):
    """Sized for a TPU step whether the devices are chips or a rehearsal's host devices."""
    model = build_model("article", (28, 28, 1), 10)
    assert resolve_steps_per_execution("auto", model, global_batch=batch, steps_per_epoch=steps,
                                       accelerator=False, tpu=True, replicas=replicas) == expected


@pytest.mark.parametrize("setting, chip, policy", [
    ("auto", None, "float32"),
    ("auto", Chip("cpu"), "float32"),
    ("auto", Chip("gpu", "Tesla T4", (7, 5)), "mixed_float16"),
    ("auto", Chip("gpu", "Tesla P100-PCIE-16GB", (6, 0)), "mixed_float16"),
    ("auto", Chip("gpu", "NVIDIA H100 80GB HBM3", (9, 0)), "mixed_bfloat16"),
    ("auto", Chip("gpu", "NVIDIA A100-SXM4-40GB"), "mixed_bfloat16"),
    ("auto", Chip("gpu", "Tesla T4"), "mixed_float16"),
    ("auto", Chip("gpu", "Tesla K80", (3, 7)), "float32"),
    ("auto", Chip("tpu", "TPU v3"), "mixed_bfloat16"),
    ("bfloat16", None, "mixed_bfloat16"),
    ("float16", Chip("gpu", "NVIDIA H100", (9, 0)), "mixed_float16"),
    ("off", Chip("gpu", "Tesla T4", (7, 5)), "float32"),
    (True, Chip("gpu", "Tesla T4", (7, 5)), "mixed_float16"),  # the 0.1 setting
    (True, None, "float32"),
    (False, Chip("gpu", "Tesla T4", (7, 5)), "float32"),
])
def test_precision_follows_the_chip(setting, chip, policy):
    assert resolve_precision(setting, chip) == policy


def test_the_backend_cannot_change_once_keras_runs():
    assert keras.backend.backend() == "tensorflow"  # how the test suite imports it
    select_backend("tensorflow")
    check_backend("tensorflow")
    with pytest.raises(ValueError, match="backend = 'jax', but Keras was imported with the "
                                         "'tensorflow' backend"):
        select_backend("jax")
    with pytest.raises(ValueError, match="backend = 'torch': expected one of tensorflow, jax"):
        select_backend("torch")


@pytest.mark.slow
def test_select_backend_sets_keras_backend_before_keras_is_imported():
    code = ("import os, sys\n"
            "from shared.training.backend import select_backend\n"
            "select_backend('jax')\n"
            "assert 'keras' not in sys.modules\n"
            "import keras\n"
            "print(os.environ['KERAS_BACKEND'], keras.backend.backend())\n")
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["jax", "jax"]
