"""push.py and unfinished trainings: a run stopped by the time limit is neither reused nor
submitted, and ``--continue-training`` continues it with the train kernel's own output mounted.

The real CLI and the official client against the fake Kaggle server, as in
test_push_scenarios.py; the fake's train runs write ``metrics.json`` and ``train_state.json``
the way kernels/train.py does (see ``default_outputs`` in fake_kaggle.py).
"""

from __future__ import annotations

import json
import re

import pytest

from kaggle_helpers import (PRE, TRAIN, clean_env, fake, make_kernel_set, push,  # noqa: F401
                            run_push, setup, write_config)

OWN = f"alice/{TRAIN}"


def train_sources(fake, version: int) -> list[str]:
    return fake.kernels[TRAIN].versions[version - 1].request["kernelDataSources"]


def metrics(tmp_path) -> dict:
    return json.loads((tmp_path / "out" / TRAIN / "metrics.json").read_text())


def test_a_time_limited_training_is_reported_refused_then_continued(tmp_path, fake, setup):
    kernels, args, env = setup
    fake.stop_reasons[TRAIN] = ["time_limit"]
    result = push(tmp_path, args, env)
    assert result.returncode == 0, result.stderr  # nothing to submit: the outputs are there
    assert "stopped by the time limit after 2 of 4 epochs: training is unfinished" in result.stdout
    assert re.search(rf"{OWN} +v1  complete \(training unfinished", result.stdout)

    # the unchanged, time-limited run is neither reused nor submitted
    result = push(tmp_path, [*args, "--skip-unchanged", "--submit"], env)
    assert result.returncode == 1
    assert f"{OWN} v1 stopped by the time limit after 2 of 4 epochs: training is unfinished" \
        in result.stderr
    assert "--continue-training --skip-unchanged --submit" in result.stderr
    assert "resumes at epoch 3" in result.stderr
    assert re.search(rf"{OWN} +v1  unfinished", result.stdout)
    assert len(fake.pushed_slugs()) == 4 and not fake.submissions

    # continued: only the train kernel runs, mounting its own output, and then it is submitted
    result = push(tmp_path, [*args, "--continue-training", "--skip-unchanged", "--submit"], env)
    assert result.returncode == 0, result.stderr
    assert fake.pushed_slugs()[4:] == [TRAIN]
    assert train_sources(fake, 2) == [*(f"alice/{s}" for s in PRE), OWN]
    assert "mounts that output and continues from it" in result.stdout
    assert metrics(tmp_path)["resumed_from_epoch"] == 2
    assert metrics(tmp_path)["stop_reason"] == "completed" and len(fake.submissions) == 1

    # without the option again: the folder no longer mounts itself, the finished run is reused
    result = push(tmp_path, [*args, "--skip-unchanged", "--submit"], env)
    assert result.returncode == 0, result.stderr
    assert len(fake.pushed_slugs()) == 5 and len(fake.submissions) == 2
    assert f"{TRAIN}: unchanged and version 2 completed after 4 of 4 epochs; reusing it" \
        in result.stdout.replace(OWN, TRAIN)
    assert OWN not in kernels.train.metadata()["kernel_sources"]

    # nothing left to continue: the finished run is reused with the option too
    result = push(tmp_path, [*args, "--continue-training", "--skip-unchanged"], env)
    assert result.returncode == 0, result.stderr
    assert "its latest run already completed after 4 of 4 epochs" in result.stdout
    assert len(fake.pushed_slugs()) == 5 and "reusing it" in result.stdout


def test_a_fresh_time_limited_run_is_downloaded_but_not_submitted(tmp_path, fake, setup):
    _, args, env = setup
    fake.stop_reasons[TRAIN] = ["time_limit"]
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 1
    assert "training is unfinished, so it is neither reused nor submitted" in result.stderr
    assert not fake.submissions and "summary:" in result.stdout
    assert (tmp_path / "out" / TRAIN / "submission.csv").is_file()  # the best model so far


@pytest.mark.parametrize("reason, reused", [("early_stopping", True), ("", False)])
def test_only_a_run_that_says_it_finished_is_reused(tmp_path, fake, setup, reason, reused):
    _, args, env = setup
    fake.stop_reasons[TRAIN] = [reason]
    first = push(tmp_path, args, env)
    assert first.returncode == 0, first.stderr
    result = push(tmp_path, [*args, "--skip-unchanged", "--submit"], env)
    assert result.returncode == 0, result.stderr
    assert fake.pushed_slugs()[4:] == ([] if reused else [TRAIN])
    if not reused:
        assert "says nothing about how training ended" in result.stdout
    assert len(fake.submissions) == 1


def test_continue_training_needs_an_earlier_run_with_a_state(tmp_path, fake, setup):
    _, args, env = setup
    result = push(tmp_path, [*args, "--continue-training", "--skip-unchanged"], env)
    assert result.returncode == 1
    assert f"--continue-training: the latest output of {OWN} does not hold both " \
           "train_state.json and metrics.json" in result.stderr
    assert "nothing was uploaded" in result.stderr and not fake.calls("SaveKernel")


def test_plan_shows_the_train_kernel_mounting_its_own_output(tmp_path, fake):
    make_kernel_set(tmp_path / "kernels")
    config = write_config(tmp_path / "pipeline.toml", owner="alice")
    env = clean_env(tmp_path / "home", KAGGLE_PIPELINE_API_URL=fake.url)
    result = run_push(["--config", str(config), "--kernels", str(tmp_path / "kernels"), "--plan",
                       "--continue-training"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert f"{OWN} (its own latest output: --continue-training)" in result.stdout
    assert "every kernel passes the checks" in result.stdout and not fake.requests
    index = json.loads((tmp_path / "kernels" / "kernels.json").read_text())
    assert TRAIN in next(k for k in index["kernels"] if k["role"] == "train")["sources"]
