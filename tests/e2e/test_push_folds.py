"""scripts/push.py with [train] folds: preprocessing, the fold kernels (at most
max_concurrent_gpu at once), then the blend, which is submitted; against the fake server."""

from __future__ import annotations

import pytest

from kaggle_helpers import (BLEND, FOLDS, clean_env, fake, make_fold_kernel_set,  # noqa: F401
                            max_running, push, write_config)

PRE = ["fmnist-preprocess-00", "fmnist-preprocess-01"]


@pytest.fixture
def folds(tmp_path, fake):  # noqa: F811 - the fixture imported above
    make_fold_kernel_set(tmp_path / "kernels")
    config = write_config(tmp_path / "pipeline.toml", max_concurrent=3)
    env = clean_env(tmp_path / "home", KAGGLE_USERNAME=fake.username, KAGGLE_KEY=fake.key,
                    KAGGLE_PIPELINE_API_URL=fake.url)
    return ["--config", str(config), "--kernels", str(tmp_path / "kernels")], env


def test_folds_run_two_at_a_time_then_the_blend_is_submitted(tmp_path, fake, folds):
    args, env = folds
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 0, result.stderr
    pushed = fake.pushed_slugs()
    assert pushed[:2] == PRE and sorted(pushed[2:5]) == FOLDS and pushed[5:] == [BLEND]
    assert max_running(fake, FOLDS) == 2  # [kaggle] max_concurrent_gpu
    saves = {r.body["slug"]: r.body for r in fake.calls("SaveKernel")}
    assert saves[f"alice/{BLEND}"]["kernelDataSources"] == [f"alice/{s}" for s in FOLDS]
    assert all(saves[f"alice/{s}"]["kernelDataSources"] == [f"alice/{p}" for p in PRE]
               for s in FOLDS)
    assert (tmp_path / "out" / BLEND / "submission.csv").is_file()
    assert len(fake.submissions) == 1 and f"alice/{BLEND} v1" in \
        fake.submissions[0]["submissionDescription"]


def test_a_fold_that_errors_stops_the_blend_naming_the_fold(tmp_path, fake, folds):
    args, env = folds
    fake.status_scripts[FOLDS[1]] = ["RUNNING", "ERROR"]
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 1
    assert f"kernel {FOLDS[1]} (alice/{FOLDS[1]} v1) ended with ERROR" in result.stderr
    assert "last lines of its log" in result.stderr
    assert BLEND not in fake.pushed_slugs() and not fake.submissions


def test_a_fold_stopped_by_the_time_limit_is_not_blended(tmp_path, fake, folds):
    args, env = folds
    fake.stop_reasons[FOLDS[2]] = ["time_limit"]
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 1
    assert f"alice/{FOLDS[2]}" in result.stderr and "--continue-training" in result.stderr
    assert BLEND not in fake.pushed_slugs() and not fake.submissions


def test_skip_unchanged_reuses_finished_folds(tmp_path, fake, folds):
    args, env = folds
    assert push(tmp_path, args, env).returncode == 0
    first = len(fake.pushed_slugs())
    result = push(tmp_path, [*args, "--skip-unchanged", "--submit"], env)
    assert result.returncode == 0, result.stderr
    assert len(fake.pushed_slugs()) == first and len(fake.submissions) == 1  # all reused
    make_fold_kernel_set(tmp_path / "kernels", body={FOLDS[0]: "print('another model')\n"})
    result = push(tmp_path, [*args, "--skip-unchanged"], env)
    assert result.returncode == 0, result.stderr
    assert fake.pushed_slugs()[first:] == [FOLDS[0], BLEND]  # the changed fold, then the blend


def test_plan_shows_the_fold_graph(tmp_path, fake, folds):
    args, env = folds
    result = push(tmp_path, [*args, "--plan"], env)
    assert result.returncode == 0, result.stderr
    assert "then 3 fold kernels (at most [kaggle] max_concurrent_gpu at once), then the blend " \
           "kernel" in result.stdout
    assert f"alice/{BLEND} mounts the outputs of: " + ", ".join(f"alice/{s}" for s in FOLDS) \
        in result.stdout


def test_continue_training_continues_the_unfinished_fold_only(tmp_path, fake, folds):
    args, env = folds
    fake.stop_reasons[FOLDS[2]] = ["time_limit"]
    assert push(tmp_path, args, env).returncode == 1
    first = len(fake.pushed_slugs())
    result = push(tmp_path, [*args, "--continue-training", "--skip-unchanged", "--submit"], env)
    assert result.returncode == 0, result.stderr
    assert fake.pushed_slugs()[first:] == [FOLDS[2], BLEND]
    again = [r.body for r in fake.calls("SaveKernel")
             if r.body["slug"] == f"alice/{FOLDS[2]}"][-1]
    assert f"alice/{FOLDS[2]}" in again["kernelDataSources"]  # it mounts its own output
    assert len(fake.submissions) == 1


def test_a_blend_that_does_not_mount_every_fold_stops_before_any_upload(tmp_path, fake, folds):
    from kaggle_helpers import make_folder

    args, env = folds
    make_folder(tmp_path / "kernels", BLEND, "blend", owner="alice", sources=tuple(FOLDS[:2]))
    result = push(tmp_path, args, env)
    assert result.returncode == 2
    assert f"kernel {BLEND}: kernel_sources: must be the fold kernels" in result.stderr
    assert not fake.calls("SaveKernel")
