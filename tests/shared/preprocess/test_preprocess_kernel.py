import pytest
"""kernels/preprocess.py as a real process inside an emulated /kaggle tree."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from competitions import image_folder, pixel_csv, train_id
from shared.assignment import dump_assignment
from host.settings import HostConfig
from shared.kaggle_paths import ROOT_ENV
from host.planning import make_plan
from shared.store import MANIFEST_NAME, ShardSet

ROOT = Path(__file__).resolve().parents[3]
KERNEL = ROOT / "kernels" / "preprocess.py"


def _config(**source):
    return HostConfig().replace(competition={"slug": "fmnist-comp"},
                                    store={"shard_bytes": 8_000},
                                    plan={"kernel_budget": 60_000, "decode_workers": 2},
                                    source=source)


def _kaggle(tmp_path, comp):
    """An emulated root with the competition mounted at input/competitions/<slug>/."""
    root = tmp_path / "kaggle"
    shutil.copytree(comp, root / "input" / "competitions" / "fmnist-comp")
    return root


def _run(root, kernel_slug, script, *args):
    working = root / "working" / kernel_slug
    working.mkdir(parents=True)
    env = {**os.environ, ROOT_ENV: str(root), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(script), *map(str, args)], cwd=working, env=env,
                          capture_output=True, text=True, timeout=120)
    return proc, working


@pytest.mark.slow
def test_every_planned_kernel_runs_as_a_process(tmp_path, fmnist):
    comp = pixel_csv(tmp_path / "comp", fmnist, 100, 20)
    plan = make_plan(_config(), comp)
    root = _kaggle(tmp_path, comp)
    outputs = tmp_path / "outputs"
    for assignment in plan.preprocess:
        path = tmp_path / f"{assignment.kernel}.json"
        path.write_text(dump_assignment(assignment), encoding="utf-8")
        proc, working = _run(root, assignment.kernel, KERNEL, path)
        assert proc.returncode == 0, proc.stderr
        assert f"{assignment.kernel}: " in proc.stdout and "rows written" in proc.stdout
        shutil.copytree(working, outputs / assignment.kernel)
    shards = ShardSet.discover(outputs, verify="full")
    assert len(shards.split("train")) == 100 and len(shards.split("test")) == 20


def test_a_baked_assignment_needs_no_argument(tmp_path, fmnist):
    comp = image_folder(tmp_path / "comp", fmnist, 30, 5)
    (assignment,) = make_plan(_config(), comp).preprocess[:1]
    script = tmp_path / "bundled.py"  # what the bundler writes: the assignment above the kernel
    script.write_text(f"BAKED_ASSIGNMENT = {dump_assignment(assignment)!r}\n"
                      + KERNEL.read_text(encoding="utf-8"), encoding="utf-8")
    proc, working = _run(_kaggle(tmp_path, comp), assignment.kernel, script)
    assert proc.returncode == 0, proc.stderr
    assert (working / MANIFEST_NAME).is_file() and (working / "preview.png").is_file()


def test_a_failure_ends_the_process_with_an_error_code(tmp_path, fmnist):
    comp = image_folder(tmp_path / "comp", fmnist, 30, 5)
    (assignment,) = make_plan(_config(strict=True), comp).preprocess[:1]
    root = _kaggle(tmp_path, comp)
    (root / "input" / "competitions" / "fmnist-comp" / "train" / f"{train_id(2)}.png"
     ).write_bytes(b"broken")
    path = tmp_path / "a.json"
    path.write_text(dump_assignment(assignment), encoding="utf-8")
    proc, working = _run(root, assignment.kernel, KERNEL, path)
    assert proc.returncode == 1
    assert "ValueError: train row 2 (id 'img0002'): unreadable image" in proc.stderr
    assert not (working / MANIFEST_NAME).exists()
