"""push.py reads the week's GPU/TPU hours through the official client before it uploads
anything, against the fake Kaggle API: enough hours, too few, an answer the client cannot
parse, and an estimate taken from the kernel's last run."""

import json

import pytest

from fake_kaggle import default_outputs
from kaggle_helpers import (PRE, TRAIN, fake, make_folder, push, setup,  # noqa: F401
                            write_config)

QUOTA = "GetAcceleratorQuotaStatistics"
# make_kernel_set's kernels carry no assignment: 15 epochs ([train] epochs) of the guess for
# 20000 rows of 224x224x3 on NvidiaTeslaT4 (400 samples/s) + 10 s = 60 s an epoch
GUESS = "needs about 0.25 GPU hours at most"


def first_push_after_quota(fake) -> bool:
    routes = [r.route for r in fake.requests]
    return QUOTA in routes and "SaveKernel" in routes and \
        routes.index(QUOTA) < routes.index("SaveKernel")


def test_enough_hours_prints_both_numbers_and_pushes(tmp_path, fake, setup):
    _, args, env = setup
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 0, result.stderr
    assert f"quota: this push {GUESS}; 30.00 GPU hours are left this week; the quota " \
           "refreshes 2026-12-05T00:00" in result.stdout
    assert f"alice/{TRAIN} on NvidiaTeslaT4: 15 epochs x 60.0 s (a guess for NvidiaTeslaT4: " \
           "20000 rows of 224x224x3 assumed" in result.stdout
    assert first_push_after_quota(fake) and len(fake.submissions) == 1


def test_too_few_hours_refuse_the_push_before_any_upload(tmp_path, fake, setup):
    _, args, env = setup
    fake.quota["gpu"] = (29.0, 30.0, 0.9)  # 0.1 h left once the running session's is kept
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 2
    assert "this push would need more accelerator time than is left this week (about 0.25 " \
           "GPU hours needed, 0.10 left" in result.stderr
    assert "nothing was uploaded" in result.stderr and "--ignore-quota" in result.stderr
    assert not fake.calls("SaveKernel") and not fake.submissions
    result = push(tmp_path, [*args, "--submit", "--ignore-quota"], env)
    assert result.returncode == 0, result.stderr
    assert "note: --ignore-quota: pushing although about 0.25 GPU hours needed, 0.10 left" \
        in result.stdout
    assert fake.pushed_slugs() == [*PRE, TRAIN]


@pytest.mark.parametrize("answer, error", [
    (b"<html><body>503 Service Unavailable</body></html>", "JSONDecodeError: Expecting value"),
    (b'{"gpuQuota": {"timeUsed": "a while"}}', "ValueError: invalid literal")])
def test_an_answer_the_client_cannot_parse_stops_the_push(tmp_path, fake, setup, answer, error):
    _, args, env = setup
    fake.raw_answers[QUOTA] = answer
    result = push(tmp_path, [*args, "--submit"], env)
    assert result.returncode == 1
    assert f"Kaggle's weekly quota could not be read ({error}" in result.stderr
    assert "nothing was uploaded. Check it with 'kaggle quota', then re-run with " \
           "--ignore-quota" in result.stderr
    assert not fake.calls("SaveKernel")
    result = push(tmp_path, [*args, "--submit", "--ignore-quota"], env)
    assert result.returncode == 0, result.stderr
    assert "--ignore-quota: pushing without the check" in result.stdout
    assert len(fake.submissions) == 1


@pytest.mark.parametrize("shape, expected", [
    ("NvidiaTeslaT4", "15 epochs x 300.0 s (its last run on NvidiaTeslaT4) = 1.25 h"),
    ("NvidiaL4", "15 epochs x 60.0 s (a guess for NvidiaTeslaT4"),  # ran elsewhere: guessed
])
def test_the_seconds_per_epoch_come_from_the_kernels_last_run(tmp_path, fake, setup, shape,
                                                                expected):
    _, args, env = setup
    metrics = {"machine_shape": shape, "train_seconds_total": 1200.0, "epochs_completed": 4,
               "stop_reason": "completed"}
    fake.outputs_for = lambda kernel, version: {"metrics.json": json.dumps(metrics).encode()}
    fake.seed(TRAIN, "an earlier version")
    fake.outputs_for = default_outputs
    result = push(tmp_path, [*args, "--plan"], env)  # no quota: nothing is pushed
    assert result.returncode == 0 and not fake.calls(QUOTA)
    fake.quota["gpu"] = (0.0, 1.0, 0.0)
    result = push(tmp_path, args, env)
    assert f"alice/{TRAIN} on NvidiaTeslaT4: {expected}" in result.stdout
    assert (result.returncode == 2) == ("1.25 h" in expected), result.stderr


def test_a_tpu_kernel_draws_on_the_tpu_hours(tmp_path, fake, setup):
    _, args, env = setup
    write_config(tmp_path / "pipeline.toml").write_text(
        (tmp_path / "pipeline.toml").read_text().replace('"NvidiaTeslaT4"', '"TpuV5E8"'))
    make_folder(tmp_path / "kernels", TRAIN, "train", owner="alice", sources=tuple(PRE),
                machine_shape="TpuV5E8", enable_gpu=False, enable_tpu=True)
    fake.quota["tpu"] = (19.98, 20.0, 0.0)
    fake.quota["gpu"] = (30.0, 30.0, 0.0)  # no GPU hours left: a TPU push does not need them
    result = push(tmp_path, args, env)
    assert result.returncode == 2
    # 20000 rows of 224x224x3 at 4000 samples/s + 10 s = 15 s an epoch, 15 epochs
    assert "quota: this push needs about 0.06 TPU hours at most; 0.02 TPU hours are left" \
        in result.stdout
    assert f"alice/{TRAIN} on TpuV5E8: 15 epochs x 15.0 s" in result.stdout
    assert "about 0.06 TPU hours needed, 0.02 left" in result.stderr
    assert "GPU" not in result.stdout + result.stderr
