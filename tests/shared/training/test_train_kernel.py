"""kernels/train.py as a real process in an emulated /kaggle tree, and the MirroredStrategy
path on two logical CPU devices."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from shared.assignment import dump_assignment
from train_fixtures import CLASSES, make_assignment, make_input_root, sample_ids

ROOT = Path(__file__).resolve().parents[3]
TESTS = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kaggle_root(tmp_path_factory, fmnist):
    root = tmp_path_factory.mktemp("kaggle")
    make_input_root(root / "input", fmnist)
    return root


def run_python(args, *, cwd, env_root=None, timeout=240, **extra_env):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)]),
           "TF_CPP_MIN_LOG_LEVEL": "2", **extra_env}
    if env_root is not None:
        env["KAGGLE_PIPELINE_ROOT"] = str(env_root)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def assert_valid_submission(path, rows=100):
    sub = pd.read_csv(path, dtype=str)
    assert sub["id"].tolist() == sample_ids(rows) and set(sub["label"]) <= set(CLASSES)


@pytest.mark.slow
def test_kernel_script_trains_from_an_assignment_file(kaggle_root, tmp_path):
    working = tmp_path / "working"
    working.mkdir()
    job = tmp_path / "job.json"
    job.write_text(dump_assignment(make_assignment()))
    done = run_python([str(ROOT / "kernels" / "train.py"), str(job)], cwd=working,
                      env_root=kaggle_root)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "submission:" in done.stdout and "[resources] epoch 1/1: rss" in done.stdout
    assert_valid_submission(working / "submission.csv")
    assert (working / "model.keras").is_file() and (working / "metrics.json").is_file()
    assert not (kaggle_root / "input" / "submission.csv").exists()  # results only in working


@pytest.mark.slow
def test_baked_assignment_runs_without_arguments_and_failures_exit_non_zero(tmp_path, fmnist):
    root = tmp_path / "kaggle"
    make_input_root(root / "input", fmnist)
    (root / "input" / "fashion-mnist-demo" / "sample_submission.csv").unlink()
    script = tmp_path / "train-kernel.py"
    baked = f"BAKED_ASSIGNMENT = {dump_assignment(make_assignment())!r}\n"
    script.write_text(baked + (ROOT / "kernels" / "train.py").read_text())
    working = tmp_path / "working"
    working.mkdir()
    done = run_python([str(script)], cwd=working, env_root=root)
    assert done.returncode != 0
    assert "competition data not found: no sample_submission.csv" in done.stderr
    assert list(working.iterdir()) == []


@pytest.mark.parametrize("args, message", [
    ([], r"no assignment baked in and 0 arguments given, expected one"),
    (["a.json", "b.json"], r"no assignment baked in and 2 arguments given, expected one"),
    (["missing.json"], r"cannot read the assignment file missing.json \(No such file"),
])
def test_without_an_assignment_the_script_prints_its_usage(tmp_path, args, message):
    done = run_python([str(ROOT / "kernels" / "train.py"), *args], cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert re.search(message, done.stderr)
    assert "usage: python kernels/train.py ASSIGNMENT.json" in done.stderr
    assert "shared.assignment.dump_assignment" in done.stderr
    assert list(tmp_path.iterdir()) == []


MIRRORED = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from shared.training import run_training
from train_fixtures import make_assignment
assignment = make_assignment(n_test=53, train={"distribute": "mirrored", "epochs": 2},
                             loader={"batch_size": 26, "validation_fraction": 0.09})
outcome = run_training(assignment, sys.argv[1], sys.argv[2], verbose=0)
print(json.dumps(outcome.metrics))
"""


@pytest.mark.slow
def test_mirrored_strategy_on_two_logical_cpu_devices_scales_the_batch_and_evens_the_last(
        tmp_path, fmnist):
    # 2 x 26 = 52 rows per global batch; the hold-out (0.09 of 600) has 53 rows and the test
    # split 53: each would end on a batch of one row, which two replicas cannot share
    root = make_input_root(tmp_path / "input", fmnist, n_test=53)
    out = tmp_path / "working"
    done = run_python(["-c", MIRRORED, str(root), str(out)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads(done.stdout.strip().splitlines()[-1])
    assert metrics["replicas"] == 2 and len(metrics["devices"]) == 2
    assert metrics["global_batch"] == 2 * 26 and metrics["epochs_completed"] == 2
    # the hold-out's odd row is left out; training keeps all of its 547 rows
    assert metrics["val_samples"] == 52 and metrics["train_samples"] == 547
    assert "MirroredStrategy on /device:CPU:0, /device:CPU:1" in done.stdout
    assert_valid_submission(out / "submission.csv", 53)
    # replicas' predictions come back in row order, the padded last batch cut off: a
    # single-device prediction agrees
    model = keras.models.load_model(out / "model.keras")
    alone = model.predict(fmnist["x_test"][:53], verbose=0)  # raw uint8 pixels
    labels = pd.read_csv(out / "submission.csv", dtype=str)["label"].map(CLASSES.index)
    assert np.mean(labels.to_numpy() == alone.argmax(axis=1)) >= 0.97


DATA_PARALLEL = """
import json, sys
from shared.training.backend import select_backend
select_backend("jax")
from shared.training import run_training
from train_fixtures import make_assignment
assignment = make_assignment(n_test=53, train={"backend": "jax", "distribute": "mirrored"},
                             loader={"batch_size": 26, "validation_fraction": 0.09})
outcome = run_training(assignment, sys.argv[1], sys.argv[2], verbose=0)
print(json.dumps(outcome.metrics))
"""


@pytest.mark.slow
def test_data_parallel_on_two_jax_cpu_devices(tmp_path, fmnist):
    """JAX's counterpart of MirroredStrategy: keras.distribution.DataParallel, the host CPU
    split in two by XLA_FLAGS, batches and predictions as above."""
    root = make_input_root(tmp_path / "input", fmnist, n_test=53)
    out = tmp_path / "working"
    done = run_python(["-c", DATA_PARALLEL, str(root), str(out)], cwd=tmp_path,
                      XLA_FLAGS="--xla_force_host_platform_device_count=2")
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads(done.stdout.strip().splitlines()[-1])
    assert metrics["backend"] == "jax" and metrics["devices"] == ["cpu:0", "cpu:1"]
    assert metrics["replicas"] == 2 and metrics["global_batch"] == 52
    assert metrics["val_samples"] == 52 and metrics["train_samples"] == 547
    assert "DataParallel on cpu:0, cpu:1 (2 replica(s), float32, jax)" in done.stdout
    assert_valid_submission(out / "submission.csv", 53)
    model = keras.models.load_model(out / "model.keras")  # saved on JAX, read on TensorFlow
    alone = model.predict(fmnist["x_test"][:53], verbose=0)
    labels = pd.read_csv(out / "submission.csv", dtype=str)["label"].map(CLASSES.index)
    assert np.mean(labels.to_numpy() == alone.argmax(axis=1)) >= 0.97
