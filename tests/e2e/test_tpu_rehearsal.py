"""The TPU rehearsal as docs/accelerators.md tells it: the embedded example dry-run with
``[kaggle] machine_shape = "TpuV5E8"`` and every other setting at its default, the train kernel
on 8 forced JAX host devices, against the same plan on one device at the same global batch."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REHEARSE = [sys.executable, str(ROOT / "scripts" / "dry_run.py"), "--disk-budget", "1MB",
            "--set", "kaggle.machine_shape=TpuV5E8"]


def dry_run(workdir: Path, *args: str, **env: str) -> tuple[dict, str]:
    environ = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    done = subprocess.run([*REHEARSE, "--workdir", str(workdir), *args], cwd=ROOT,
                          env={**environ, **env}, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads((workdir / "report.json").read_text()), done.stdout


@pytest.mark.slow
def test_a_tpu_plan_rehearses_on_8_forced_jax_devices_at_the_one_device_accuracy(tmp_path):
    report, printed = dry_run(tmp_path)
    assert "machine TpuV5E8 (8 x TPU v5e chip" in printed
    assert "8 replica(s), global batch 1024 (128 x 8)" in printed
    assert "rehearsing TpuV5E8: the train kernels run on 8 forced JAX host devices" in printed
    assert report["accelerated_env"] == {
        "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}
    eight = report["train_metrics"]
    assert (eight["backend"], eight["replicas"], eight["global_batch"], eight["precision"],
            eight["accelerator"], eight["machine_shape"]) == \
        ("jax", 8, 1024, "mixed_bfloat16", "tpu", "TpuV5E8")
    assert eight["devices"] == [f"cpu:{i}" for i in range(8)]
    assert eight["steps_per_execution"] == 2  # TPU-sized: 4 wanted, 2 steps an epoch
    assert eight["stop_reason"] == "completed" and eight["epochs_completed"] == 15
    # the same plan on one device at the same global batch: data parallelism changes no math
    alone, printed = dry_run(tmp_path, "--only", "train", "--set", "loader.batch_size=1024",
                             XLA_FLAGS="--xla_force_host_platform_device_count=1")
    assert "XLA_FLAGS already forces 1 JAX host device(s)" in printed
    one = alone["train_metrics"]
    assert (one["replicas"], one["global_batch"], one["devices"]) == (1, 1024, ["cpu:0"])
    scores = report["local_score"]["value"], alone["local_score"]["value"]
    print(f"local accuracy: 8 devices {scores[0]:.4f}, one device {scores[1]:.4f}")
    assert abs(scores[0] - scores[1]) <= 0.02, scores
