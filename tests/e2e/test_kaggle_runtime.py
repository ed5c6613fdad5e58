"""The kernels under Kaggle's library versions, and the dry run's --kernel-python.

``make test`` builds ``.venv-kaggle`` from ``requirements-kaggle.txt`` (Python 3.12, as
Kaggle's image) and names its interpreter in ``KAGGLE_PIPELINE_KERNEL_PYTHON``; the embedded
example's dry run then runs every kernel with it. Run through plain ``pytest`` without that
variable, the Kaggle run is skipped (the other tests here still run).
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from host.config_file import apply_overrides, parse_override
from host.dryrun.interpreter import check_kernel_python
from shared.config import PipelineConfig

ROOT = Path(__file__).resolve().parents[2]
KAGGLE_PYTHON = os.environ.get("KAGGLE_PIPELINE_KERNEL_PYTHON", "")


def kaggle_pins() -> dict[str, str]:
    """``requirements-kaggle.txt`` as {package: version} (the Linux lines)."""
    pins = {}
    for line in (ROOT / "requirements-kaggle.txt").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", line)
        if match and "sys_platform != \"linux\"" not in line:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_the_pins_are_kaggles_documented_versions():
    pins = kaggle_pins()
    names = ("numpy", "pandas", "pillow", "keras", "tensorflow", "keras-hub")
    assert {k: pins[k] for k in names} == {
        "numpy": "2.0.2", "pandas": "2.2.2", "pillow": "11.3.0", "keras": "3.13.2",
        "tensorflow": "2.20.0", "keras-hub": "0.26.0"}
    text = (ROOT / "requirements-kaggle.txt").read_text()
    assert "docker-python" in text and "2026" in text  # where the pins come from, and when


@pytest.mark.skipif(not KAGGLE_PYTHON, reason="make test sets KAGGLE_PIPELINE_KERNEL_PYTHON to "
                                              "the interpreter of .venv-kaggle")
def test_the_embedded_example_runs_under_kaggles_versions(tmp_path):
    python = check_kernel_python(KAGGLE_PYTHON)
    assert not python.has_project  # kernels must find our code only in their bundles
    proc = subprocess.run(
        [sys.executable, "scripts/dry_run.py", "--workdir", str(tmp_path / "work"),
         "--disk-budget", "1MB", "--epochs", "1", "--kernel-python", KAGGLE_PYTHON],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]
    report = json.loads((tmp_path / "work" / "report.json").read_text())
    assert report["kernel_python"] == python.path
    roles = [k["role"] for k in report["kernels"]]
    assert roles.count("preprocess") >= 2 and roles[-1] == "train"  # the budget alone did it
    assert report["local_score"]["value"] > 0.4  # one epoch of the article CNN: about 0.65
    pins = kaggle_pins()
    expected = {"python": python.version, "numpy": pins["numpy"], "pandas": pins["pandas"],
                "pillow": pins["pillow"], "keras": pins["keras"],
                "keras_backend": "tensorflow", "backend_version": pins["tensorflow"]}
    runtime = report["train_metrics"]["runtime"]
    assert {k: runtime[k] for k in expected} == expected and runtime["keras_imported"]
    assert "keras_hub" not in runtime  # imported only for a model built on a preset
    for manifest in (tmp_path / "work" / "kaggle").glob("*-preprocess-*/working/manifest.json"):
        recorded = json.loads(manifest.read_text())["extra"]["runtime"]
        assert {k: recorded[k] for k in expected} == expected
    assert f"runtime: Python {python.version}, numpy {pins['numpy']}" in proc.stdout


@pytest.mark.skipif(not KAGGLE_PYTHON, reason="make test sets KAGGLE_PIPELINE_KERNEL_PYTHON to "
                                              "the interpreter of .venv-kaggle")
def test_a_preset_is_fine_tuned_under_kaggles_keras_and_keras_hub(tmp_path):
    """A preset saved by our keras-hub, loaded and fine-tuned by Kaggle's (0.26.0, Keras
    3.13.2): the head epoch, then every layer."""
    from preset_fixtures import HANDLE, save_backbone

    save_backbone(tmp_path / "kagglehub", HANDLE)
    proc = subprocess.run(
        [sys.executable, "scripts/dry_run.py", "--workdir", str(tmp_path / "work"),
         "--disk-budget", "1MB", "--epochs", "2", "--set", f"train.model={HANDLE}",
         "--kernel-python", KAGGLE_PYTHON],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "KAGGLEHUB_CACHE": str(tmp_path / "kagglehub")})
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]
    metrics = json.loads((tmp_path / "work" / "report.json").read_text())["train_metrics"]
    pins = kaggle_pins()
    assert (metrics["runtime"]["keras"], metrics["runtime"]["keras_hub"]) == (
        pins["keras"], pins["keras-hub"])
    assert metrics["epochs_completed"] == 2 and metrics["preset"]["handle"] == HANDLE
    assert "epoch 2: every layer trains from here" in proc.stdout


def test_a_kernel_python_that_is_not_there_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r"--kernel-python .*/nope: no executable file there"):
        check_kernel_python(tmp_path / "nope")
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho not python\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(ValueError, match="did not run as a Python 3 interpreter"):
        check_kernel_python(fake)


def test_a_kernel_python_without_the_libraries_is_refused(tmp_path):
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    with pytest.raises(ValueError, match=r"cannot import numpy, pandas, PIL, tqdm, keras, "
                                         r"matplotlib, which the kernels need: install "
                                         r"requirements-kaggle.txt into it"):
        check_kernel_python(bare / "bin" / "python")
    assert check_kernel_python().has_project  # this interpreter has the project installed


@pytest.mark.parametrize("text, expected", [
    ("source.image_size=[224, 224]", ("source", "image_size", [224, 224])),
    ("source.channels=3", ("source", "channels", 3)),
    ("source.resize=pad", ("source", "resize", "pad")),
    ("train.mixed_precision = true", ("train", "mixed_precision", True)),
    ("store.shard_bytes=\"50MB\"", ("store", "shard_bytes", "50MB")),
])
def test_settings_are_overridden_from_the_command_line(text, expected):
    assert parse_override(text) == expected


def test_overrides_are_validated_like_the_file():
    config = apply_overrides(PipelineConfig(), ["source.image_size=[224, 224]",
                                                "source.channels=3", "store.shard_bytes=50MB"])
    assert config.source.image_size == (224, 224) and config.source.channels == 3
    assert config.store.shard_bytes == 50 * 10**6
    with pytest.raises(ValueError, match=r"unknown setting \[source\] chanels; did you mean "
                                         r"'channels'"):
        apply_overrides(PipelineConfig(), ["source.chanels=3"])
    with pytest.raises(ValueError, match="expected TABLE.KEY=VALUE"):
        parse_override("channels=3")
