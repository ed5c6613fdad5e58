"""Resume works for every head: a second session continues a binary (AUC-monitored) and a
regression (scaled head, RMSE-monitored) training from the first session's checkpoint."""

import dataclasses
import json
import shutil

import pandas as pd
import pytest

from competitions import task_competition
from host.dryrun import DryRunOptions, run_dry_run
from host.planning import make_plan
from host.settings import HostConfig


@pytest.mark.parametrize("kind, monitor", [("binary-probability", "val_auc"),
                                           ("regression", "val_rmse")])
@pytest.mark.slow
def test_a_second_session_continues_the_first(tmp_path, fmnist, kind, monitor):
    from shared.training import run_training

    root = task_competition(tmp_path / "data", fmnist, kind, n_train=200, n_test=40)
    config = HostConfig().replace(competition={"slug": "resume", "data_dir": str(root)},
                                      train={"epochs": 1}, loader={"batch_size": 32})
    work = tmp_path / "work"
    run_dry_run(DryRunOptions(config=config, data_dir=root, workdir=work, only="preprocess",
                              echo=None))
    inputs = tmp_path / "input"
    (inputs / "resume").mkdir(parents=True)
    for name in ("sample_submission.csv", "train.csv"):
        shutil.copy(root / name, inputs / "resume" / name)
    (inputs / "resume-preprocess-00").symlink_to(
        work / "kaggle" / "resume-preprocess-00" / "working")
    train = make_plan(config).train
    first = run_training(train, inputs, tmp_path / "first", verbose=0)
    assert first.state.monitor == monitor and first.state.epochs_completed == 1
    shutil.copytree(tmp_path / "first", inputs / "resume-train")  # its output, mounted
    more = dataclasses.replace(train, config=train.config.replace(train={"epochs": 2}))
    second = run_training(more, inputs, tmp_path / "second", verbose=0)
    assert second.state.sessions == 2 and second.state.epochs_completed == 2
    history = pd.read_csv(tmp_path / "second" / "history.csv")
    assert history["epoch"].tolist() == [1, 2] and monitor in history.columns
    metrics = json.loads((tmp_path / "second" / "metrics.json").read_text())
    assert metrics["resumed_from_epoch"] == 1 and metrics["task"] == kind
