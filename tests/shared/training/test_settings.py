"""What ``auto`` means, decided once: the plan-time choices and the kernel's resolved settings."""

import pytest

from shared.config import PipelineConfig
from shared.models import model_spec
from shared.store import DatasetSpec
from shared.tasks.label import LabelTask
from shared.tasks.regression import RegressionTask
from shared.training.settings import (ResolvedSettings, TargetMachine, choose_training,
                                      resolve_settings)
from shared.training.strategy import Placement

TASK = LabelTask(classes=("a", "b"), value_columns=("label",))


def choices(task=TASK, **sections):
    return choose_training(PipelineConfig().replace(**sections), task)


@pytest.mark.parametrize("mode, model, expected", [
    ("auto", "article", "none"), ("auto", "better", "flip"), ("shift", "better", "shift")])
def test_auto_follows_the_model(mode, model, expected):
    assert choices(train={"augment": mode, "model": model}).augment == expected


def test_every_auto_comes_from_the_model_family_or_the_task():
    article, better = choices(), choices(train={"model": "better"})
    assert (article.lr_schedule, better.lr_schedule) == ("constant", "cosine")
    assert article.learning_rate == model_spec("article").learning_rate == 1e-3
    assert choices(train={"learning_rate": 0.01}).learning_rate == 0.01
    assert article.monitor == "val_accuracy"
    assert choices(RegressionTask(value_columns=("y",))).monitor == "val_rmse"
    assert choices(loader={"validation_fraction": 0.0}).monitor == "accuracy"
    assert choices(loader={"validation_fraction": 0.0}, train={"folds": 3}).monitor == \
        "val_accuracy"  # a fold is always held out
    assert "train article on tensorflow: augment none, constant learning rate 0.001" in \
        article.describe()


def test_a_monitor_the_task_does_not_report_is_refused():
    with pytest.raises(ValueError, match=r"\[train\] monitor = 'val_rmse': a label task "
                                         r"reports val_accuracy, val_loss"):
        choices(train={"monitor": "val_rmse"})


def test_resolved_settings_give_the_summary_and_the_resume_key():
    config = PipelineConfig().replace(loader={"batch_size": 16}, train={"model": "better"})
    placement = Placement(backend="tensorflow", devices=("cpu:0", "cpu:1"),
                          precision="float32", platform="cpu", distribution="MirroredStrategy")
    settings = resolve_settings(choose_training(config, TASK), config, placement)
    assert isinstance(settings, ResolvedSettings)
    assert (settings.replicas, settings.global_batch) == (2, 32)
    settings = settings.with_steps(4)
    summary = settings.summary()
    assert summary["global_batch"] == 32 and summary["steps_per_execution"] == 4
    assert summary["augment"] == "flip" and summary["lr_schedule"] == "cosine"
    spec = DatasetSpec(sample_shape=(8, 8, 1), split_rows={"train": 10, "test": 2},
                       classes=("a", "b"), id_width=2)
    key = settings.resume_key(spec, task="label", source_fingerprint="f", fold=1, folds=3)
    assert key["epochs"] == 15 and key["fold"] == 1 and key["global_batch"] == 32
    assert key["shuffle"]["mode"] == "block" and "steps_per_execution" not in key


TPU = TargetMachine(shape="TpuV5E8", accelerator="tpu", chips=8, session_hours=9.0)


def test_the_machine_decides_the_backend_and_the_time_limit():
    gpu, tpu = choices(), choose_training(PipelineConfig(), TASK, TPU)
    assert (gpu.backend, gpu.accelerator, gpu.time_limit_hours) == ("tensorflow", "gpu", 11.0)
    assert (tpu.backend, tpu.accelerator, tpu.chips, tpu.machine_shape) == \
        ("jax", "tpu", 8, "TpuV5E8")
    assert tpu.time_limit_hours == 8.0  # an hour before a TPU session ends
    assert "train article on jax for TpuV5E8:" in tpu.describe()
    assert choices(train={"backend": "jax", "time_limit_hours": 2}).time_limit_hours == 2.0


@pytest.mark.parametrize("train, message", [
    ({"backend": "tensorflow"}, r"backend = \"tensorflow\" .*TPU.*expected \"jax\" or \"auto\""),
    ({"mixed_precision": "float16"}, r"TPUs compute in bfloat16, not float16"),
    ({"time_limit_hours": 9.5}, r"Kaggle ends its sessions after 9 h"),
])
def test_a_plan_for_a_tpu_refuses_what_a_tpu_cannot_run(train, message):
    with pytest.raises(ValueError, match=message):
        choose_training(PipelineConfig().replace(train=train), TASK, TPU)


def test_the_kernel_reads_the_machine_from_the_assignment():
    config = PipelineConfig().replace(loader={"batch_size": 128})
    placement = Placement(backend="jax", devices=tuple(f"cpu:{i}" for i in range(8)),
                          precision="mixed_bfloat16", platform="cpu",
                          distribution="DataParallel", target="tpu")
    settings = resolve_settings(choose_training(config, TASK, TPU), config, placement)
    summary = settings.summary()
    assert (summary["machine_shape"], summary["accelerator"], summary["replicas"],
            summary["global_batch"]) == ("TpuV5E8", "tpu", 8, 1024)
    assert placement.accelerator  # steps sized for the TPU though the devices are CPUs
    assert "as on TpuV5E8, 8 replica(s)" in settings.describe()
