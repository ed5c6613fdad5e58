"""A plan for a TPU shape: what the plan says, what the train kernel carries and its metadata,
the rehearsal's environment, and the push's estimate of its hours."""

import dataclasses
import sys

import pytest

from competitions import image_folder
from host.bundle.baked import baked_assignment
from host.bundle.build import build_kernels
from host.dryrun import DryRunOptions, run_dry_run
from host.dryrun.rehearsal import rehearsal_environment
from host.kaggle_api import KernelSet, MetadataError, MetadataRules, validate_kernels
from host.kaggle_api.quota import QuotaExceeded, QuotaLeft, check_quota, quota_left
from host.kaggle_api.quota_need import KernelNeed, guess_epoch_seconds, last_epoch_seconds
from host.machine_shapes import SHAPES
from host.planning import make_plan
from host.settings import HostConfig


def config(shape: str, **train) -> HostConfig:
    return HostConfig().replace(competition={"slug": "fmnist-comp"},
                                store={"shard_bytes": 20_000}, plan={"kernel_budget": 70_000},
                                kaggle={"machine_shape": shape}, train=train)


@pytest.fixture
def tpu_plan(tmp_path, fmnist):
    return make_plan(config("TpuV5E8"), image_folder(tmp_path, fmnist, 200, 40))


def test_the_plan_says_how_the_tpu_is_used(tpu_plan):
    choices = tpu_plan.train.choices
    assert (choices.backend, choices.accelerator, choices.chips, choices.time_limit_hours) == \
        ("jax", "tpu", 8, 8.0)
    table = tpu_plan.table()
    assert "train article on jax for TpuV5E8: augment none" in table
    assert ("machine TpuV5E8 (8 x TPU v5e chip, 16 GB HBM each; bfloat16; sessions of 9 h): "
            "Keras on jax ([train] backend = auto) over every chip JAX sees: 8 replica(s), "
            "global batch 1024 (128 x 8), bfloat16") in table
    assert "note: TpuV5E8 may not be open" not in table


def test_a_shape_that_may_be_restricted_is_flagged_in_the_plan(tmp_path, fmnist):
    plan = make_plan(config("NvidiaH100"), image_folder(tmp_path, fmnist, 60, 10))
    assert "note: NvidiaH100 may not be open to your account: the client's docs say some " \
           "shapes are only for participants of specific competitions" in plan.table()
    assert "one device, global batch 128" in plan.table()


def test_the_train_kernel_carries_the_tpu_and_asks_kaggle_for_one(tmp_path, tpu_plan):
    built = build_kernels(tpu_plan, tmp_path / "kernels", owner="alice",
                          config=config("TpuV5E8"))
    meta = built.train.metadata()
    assert (meta["machine_shape"], meta["enable_tpu"], meta["enable_gpu"]) == \
        ("TpuV5E8", True, False)
    for kernel in built.preprocess:
        meta = kernel.metadata()
        assert "machine_shape" not in meta and not meta["enable_gpu"] and not meta["enable_tpu"]
    carried = baked_assignment(built.train)
    assert carried.choices == tpu_plan.train.choices
    assert carried.spec == tpu_plan.spec and carried.config.train.epochs == 15
    kernels = KernelSet.from_built(built)
    rules = MetadataRules(owner="alice", competition="fmnist-comp", machine_shape="TpuV5E8")
    validate_kernels(kernels.preprocess, kernels.trains, rules)
    gpu_rules = dataclasses.replace(rules, machine_shape="NvidiaTeslaT4")
    with pytest.raises(MetadataError, match=r"machine_shape: expected \[kaggle\] machine_shape "
                                            r"'NvidiaTeslaT4', received 'TpuV5E8'"):
        validate_kernels(kernels.preprocess, kernels.trains, gpu_rules)


def test_switches_that_disagree_with_the_shape_are_refused(tmp_path, tpu_plan):
    built = build_kernels(tpu_plan, tmp_path / "kernels", owner="alice",
                          config=config("TpuV5E8"))
    path = built.train.path / "kernel-metadata.json"
    path.write_text(path.read_text().replace('"enable_gpu": false', '"enable_gpu": true'))
    rules = MetadataRules(owner="alice", competition="fmnist-comp", machine_shape="TpuV5E8")
    with pytest.raises(MetadataError, match=r"enable_gpu: is True but TpuV5E8 needs false \(a "
                                            r"TPU session: enable_tpu true and enable_gpu false"):
        validate_kernels(built.preprocess, built.trains, rules)


def test_the_rehearsal_forces_the_tpus_chips_unless_a_count_is_given():
    extra, said = rehearsal_environment(SHAPES["TpuV5E8"], {"XLA_FLAGS": "--xla_dump_to=/x"})
    assert extra == {"XLA_FLAGS": "--xla_dump_to=/x --xla_force_host_platform_device_count=8"}
    assert "8 forced JAX host devices" in said
    kept = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    assert rehearsal_environment(SHAPES["TpuV6E8"], kept)[0] == {}
    assert rehearsal_environment(SHAPES["NvidiaTeslaT4"], {}) == ({}, "")


def test_the_guess_scales_with_the_pixels_and_rows():
    tpu, t4 = SHAPES["TpuV5E8"], SHAPES["NvidiaTeslaT4"]
    seconds, said = guess_epoch_seconds(t4, 40_000, (224, 224, 3))
    assert seconds == 10 + 40_000 / 400 and "40000 rows of 224x224x3 at 400 samples/s" in said
    small, _ = guess_epoch_seconds(tpu, 60_000, (28, 28, 1))
    assert small == pytest.approx(10 + 60_000 * 784 / (224 * 224 * 3) / 4000)


@pytest.mark.parametrize("metrics, expected", [
    ({"machine_shape": "TpuV5E8", "train_seconds_total": 90.0, "epochs_completed": 3}, 30.0),
    ({"machine_shape": "NvidiaTeslaT4", "train_seconds_total": 90.0, "epochs_completed": 3},
     None),  # another shape: its time says nothing about this one
    ({"machine_shape": "TpuV5E8", "train_seconds_total": 0.0, "epochs_completed": 0}, None),
    ({"train_seconds_total": 90.0, "epochs_completed": 3}, None),  # a run of before 0.3
])
def test_the_last_run_counts_only_on_the_same_shape(metrics, expected):
    assert last_epoch_seconds(metrics, "TpuV5E8") == expected


def test_a_kernel_needs_at_most_its_time_limit_and_the_pools_are_apart():
    long = KernelNeed("a/x-train", "tpu", "TpuV5E8", 100, 600.0, "a guess", limit_hours=8.0)
    assert long.hours == 8.0 and "(its time limit)" in long.describe()
    gpu = KernelNeed("a/x-train-fold-0", "gpu", "NvidiaTeslaT4", 10, 360.0, "its last run", 11)
    said = []
    check_quota(QuotaLeft(gpu=1.5, tpu=8.5), [long, gpu], say=said.append)
    assert said[0].startswith("quota: this push needs about 1.00 GPU hours at most; 1.50 GPU")
    assert said[2].startswith("quota: this push needs about 8.00 TPU hours at most; 8.50 TPU")
    with pytest.raises(QuotaExceeded, match=r"about 8.00 TPU hours needed, 7.90 left"):
        check_quota(QuotaLeft(gpu=1.5, tpu=7.9), [long, gpu], say=said.append)
    with pytest.raises(QuotaExceeded, match=r"about 1.00 GPU hours needed, none reported"):
        check_quota(QuotaLeft(gpu=None, tpu=None), [gpu], say=said.append)


def test_hours_left_are_allowed_less_used_less_reserved():
    from datetime import datetime, timedelta

    from kagglesdk.kernels.types.kernels_api_service import (
        ApiAcceleratorQuota, ApiGetAcceleratorQuotaStatisticsResponse)

    answer = ApiGetAcceleratorQuotaStatisticsResponse()
    answer.gpu_quota = ApiAcceleratorQuota()
    answer.gpu_quota.total_time_allowed = timedelta(hours=30)
    answer.gpu_quota.time_used = timedelta(hours=10)
    answer.gpu_quota.time_reserved = timedelta(hours=12)
    answer.quota_refresh_time = datetime(2026, 12, 5)
    left = quota_left(answer)
    assert (left.gpu, left.tpu, left.refresh) == (8.0, None, "2026-12-05T00:00")


NO_JAX = '''\
import importlib.machinery, sys


class _NoJax(importlib.machinery.PathFinder):
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.split(".")[0] == "jax":
            return None
        return importlib.machinery.PathFinder.find_spec(name, path, target)


sys.meta_path = [_NoJax if f is importlib.machinery.PathFinder else f for f in sys.meta_path]
'''


def test_a_kernel_python_without_jax_is_refused_before_a_tpu_plan_runs(tmp_path, fmnist):
    """This interpreter behind a wrapper that cannot find jax: the libraries every kernel
    needs are there, the one a JAX plan needs is not."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(NO_JAX)
    python = tmp_path / "python-without-jax"
    python.write_text(f'#!/bin/sh\nPYTHONPATH={tmp_path / "site"} exec {sys.executable} "$@"\n')
    python.chmod(0o755)
    options = DryRunOptions(config=config("TpuV5E8"), echo=None, kernel_python=str(python),
                            data_dir=image_folder(tmp_path / "comp", fmnist, 60, 10),
                            workdir=tmp_path / "work")
    with pytest.raises(ValueError, match=r"cannot import jax, which the kernels need: this "
                                         r"plan trains on jax: install it there"):
        run_dry_run(options)
    assert not (tmp_path / "work" / "logs").exists()  # no kernel ran


def test_a_preprocessing_kernel_on_an_accelerator_is_refused(tmp_path, tpu_plan):
    built = build_kernels(tpu_plan, tmp_path / "kernels", owner="alice",
                          config=config("TpuV5E8"))
    path = built.preprocess[0].path / "kernel-metadata.json"
    path.write_text(path.read_text().replace('"enable_tpu": false', '"enable_tpu": true'))
    rules = MetadataRules(owner="alice", competition="fmnist-comp", machine_shape="TpuV5E8")
    with pytest.raises(MetadataError, match=r"preprocess-00: machine_shape: a preprocessing "
                                            r"kernel decodes images on a CPU"):
        validate_kernels(built.preprocess, built.trains, rules)
