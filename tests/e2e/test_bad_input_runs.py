"""Bad input met while kernels run, read as a user reads it (``scripts/dry_run.py``): test
images without a usable image, a failing ``--only train``, a scoring error, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from competitions import CLASS_NAMES, image_folder, submission_id
from dry_run_cli import ROOT, SCRIPT, dry_run, write_config
from host.bundle.build import build_kernels
from host.planning import make_plan
from host.settings import HostConfig
from shared.kernel_entry import INTERRUPTED as KERNEL_INTERRUPTED
from shared.store.writer import JOURNAL_NAME

TRAIN, PRE = "bad-input-train", "bad-input-preprocess"


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:60])


def competition(root: Path, fmnist, *, truncated: int, solution: bool = True) -> Path:
    data = image_folder(root, fmnist, 60, 20)
    for row in range(truncated):
        truncate(data / "test" / f"{submission_id((4 + row) % 20)}.png")
    if solution:  # a broken solution.csv: its value column has another name
        pd.DataFrame({"id": [submission_id(i) for i in range(20)],
                      "truth": [CLASS_NAMES[k] for k in fmnist["y_test"][:20]]}
                     ).to_csv(data / "solution.csv", index=False)
    return data


def test_too_many_test_rows_without_an_image_stop_the_dry_run_before_training(tmp_path,
                                                                               fmnist):
    data = competition(tmp_path / "comp", fmnist, truncated=20, solution=False)
    status, out, err = dry_run(tmp_path, data)
    assert status == 1 and "Traceback" not in err
    assert err == (
        "dry run failed: 20 of 20 test rows (100.0%) have no usable image (truncated image: "
        "20), e.g. ids 't000', 't001', 't002', 't003', 't004' and 15 more. Each would get the "
        "same fallback prediction (the training set's prior), more than [competition] "
        "max_fallback_fraction = 0.01 allows (0 of 20), so the train kernel was not run. Fix "
        "or replace those images (each preprocessing kernel's manifest.json lists them under "
        "rejects, with the reason), or raise [competition] max_fallback_fraction to accept the "
        "fallback rows")
    logs = tmp_path / "work" / "logs"
    assert sorted(p.stem for p in logs.iterdir())[0].startswith(PRE)
    assert not (logs / f"{TRAIN}.log").exists()
    assert not (tmp_path / "work" / "kaggle" / TRAIN).exists()


@pytest.fixture(scope="module")
def finished(tmp_path_factory, fmnist):
    """A dry run with one test image truncated (allowed: 10%) and a solution.csv that
    cannot be scored."""
    tmp = tmp_path_factory.mktemp("runs")
    data = competition(tmp / "comp", fmnist, truncated=1)
    status, out, err = dry_run(tmp, data, competition="max_fallback_fraction = 0.1")
    return tmp, data, status, out, err


def test_a_scoring_error_keeps_the_report_and_says_why(finished):
    tmp, data, status, out, err = finished
    assert status == 0, err
    report = json.loads((tmp / "work" / "report.json").read_text())
    assert report["local_score"] is None
    assert report["scoring_error"] == (
        f"{data / 'solution.csv'} could not be scored: solution file lacks column(s) ['label']: "
        "found ['id', 'truth'], expected ['id', 'label']")
    assert f"local score: none, {report['scoring_error']}\n" in out
    assert report["submission"] and [k["exit_status"] for k in report["kernels"]] == \
        [0] * len(report["kernels"])


def test_fallback_rows_under_the_threshold_are_listed_in_metrics_and_report(finished):
    tmp, _, status, out, _ = finished
    report = json.loads((tmp / "work" / "report.json").read_text())
    metrics = json.loads((tmp / "work" / "kaggle" / TRAIN / "working" / "metrics.json")
                         .read_text())
    fallback = metrics["fallback"]
    assert report["fallback"] == fallback and fallback["rows"] == 1 and fallback["ids"] == ["t004"]
    assert (f"fallback: 1 test rows had no image and got the prior prediction "
            f"{fallback['values']} (ids t004)\n") in out


def test_only_train_keeps_the_earlier_outputs_until_a_new_run_succeeds(finished):
    tmp, data, *_ = finished
    working = tmp / "work" / "kaggle" / TRAIN / "working"
    before = {name: (working / name).read_bytes() for name in ("model.keras", "submission.csv")}
    # refused before the kernel starts: the threshold no longer allows the one fallback row
    status, _, err = dry_run(tmp, data, "--only", "train",
                             competition="max_fallback_fraction = 0.0")
    assert status == 1 and err.startswith("dry run failed: 1 of 20 test rows (5.0%) have no "
                                          "usable image (truncated image: 1), e.g. ids 't004'")
    assert {name: (working / name).read_bytes() for name in before} == before
    # the kernel fails at its start: a shard of the preprocessing output went missing (what
    # the planner can check, such as a hold-out that keeps no row, it refuses before this)
    shard = sorted((tmp / "work" / "kaggle").glob(f"{PRE}-*/working/*.npy"))[0]
    shard.rename(shard.with_suffix(".away"))
    try:
        status, _, err = dry_run(tmp, data, "--only", "train",
                                 competition="max_fallback_fraction = 0.1")
    finally:
        shard.with_suffix(".away").rename(shard)
    assert status == 1 and f"kernel {TRAIN} failed with exit status 1" in err
    assert shard.name in err
    assert {name: (working / name).read_bytes() for name in before} == before
    assert not (working.parent / "working.previous").exists()
    assert (working.parent / "working.failed").is_dir()


def test_the_fallback_threshold_reruns_the_train_kernel_alone(tmp_path, fmnist):
    data = image_folder(tmp_path / "comp", fmnist, 60, 20)
    config = HostConfig().replace(competition={"slug": "bad-input", "data_dir": str(data)},
                                      plan={"kernel_budget": 100_000})
    plan = make_plan(config)

    def fingerprints(cfg, name):
        built = build_kernels(plan, tmp_path / name, owner="me",
                              config=cfg)
        return [k.fingerprint for k in built.preprocess], built.train.fingerprint

    base = fingerprints(config, "a")
    looser = fingerprints(config.replace(competition={"max_fallback_fraction": 0.2}), "b")
    assert base[0] == looser[0] and base[1] != looser[1]


# -- Ctrl-C ---------------------------------------------------------------------------------
def slow_competition(root: Path, fmnist) -> Path:
    """60 small images, then 60 large PNGs of noise (about 55 ms each to decode here, and no
    draft mode, unlike a JPEG): the kernel is still decoding seconds after its first shard."""
    data = image_folder(root, fmnist, 120, 10)
    noise = np.random.default_rng(0).integers(0, 256, (3000, 3000), dtype=np.uint8)
    first = data / "train" / "img0060.png"
    Image.fromarray(noise, "L").save(first, compress_level=1)
    for row in range(61, 120):  # one file's disk, linked under 59 more names
        target = data / "train" / f"img{row:04d}.png"
        target.unlink()
        os.link(first, target)
    return data


def journaled_shards(working: Path) -> int:
    """Shards the kernel has finished: its progress journal lists them once renamed."""
    try:
        return len(json.loads((working / JOURNAL_NAME).read_text(encoding="utf-8"))["shards"])
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def start(config: Path, workdir: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.Popen([sys.executable, str(SCRIPT), "--config", str(config), "--workdir",
                             str(workdir), "--only", "preprocess"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def test_ctrl_c_says_in_one_line_that_the_data_is_safe_and_a_rerun_resumes(tmp_path, fmnist,
                                                                          ctrl_c_reaches_children):
    data = slow_competition(tmp_path / "comp", fmnist)
    config = write_config(tmp_path / "pipeline.toml", data, budget="10MB",
                          source="image_size = [28, 28]\nchannels = 1")
    workdir = tmp_path / "work"
    proc = start(config, workdir)
    working = workdir / "kaggle" / f"{PRE}-00" / "working"
    deadline = time.monotonic() + 120
    while not journaled_shards(working) and proc.poll() is None:  # a shard is finished
        assert time.monotonic() < deadline, "no shard was written in 2 minutes"
        time.sleep(0.02)
    assert proc.poll() is None, "the kernel finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in out + err
    assert err.strip().splitlines()[-1] == (
        "interrupted: your data is safe (kernels only read it, finished shards are kept and "
        "nothing half-written looks finished); run the same command again to resume")
    assert f"[{PRE}-00] {KERNEL_INTERRUPTED['preprocess']}" in out
    rerun = subprocess.run([sys.executable, str(SCRIPT), "--config", str(config), "--workdir",
                            str(workdir), "--only", "preprocess"], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    summary = next(line for line in rerun.stdout.splitlines()
                   if f"{PRE}-00: 130 of 130 rows written" in line)
    done_before = int(summary.split("; ")[-1].split(" were already done")[0])
    assert done_before > 0  # the re-run resumed after the shards the first run finished
