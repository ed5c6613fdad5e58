"""[train] folds = 3 through the dry run: preprocessing, three fold kernels, then the blend."""

import json

import numpy as np
import pandas as pd
import pytest

from competitions import task_competition
from host.dryrun import DryRunOptions, run_dry_run
from host.settings import HostConfig
from shared.fold_files import FOLD_FILES, FOLD_RECORD, find_fold_outputs


@pytest.fixture(scope="module")
def run(tmp_path_factory, fmnist):
    base = tmp_path_factory.mktemp("folds")
    root = task_competition(base / "data", fmnist, "label", n_train=300, n_test=60)
    config = HostConfig().replace(
        competition={"slug": "folds", "data_dir": str(root)},
        train={"epochs": 2, "folds": 3, "tta": "flip", "augment": "flip"})
    report = run_dry_run(DryRunOptions(config=config, data_dir=root, workdir=base / "work",
                                       parallel=2, echo=None))
    return base, root, report


def test_the_folds_run_after_preprocessing_and_the_blend_last(run):
    base, root, report = run
    assert [k["slug"] for k in report["kernels"]] == [
        "folds-preprocess-00", "folds-train-fold-0", "folds-train-fold-1", "folds-train-fold-2",
        "folds-blend"]
    assert [k["role"] for k in report["kernels"]][-1] == "blend"
    blend_input = base / "work" / "kaggle" / "folds-blend" / "input"
    mounted = sorted(output.folder.name for output in find_fold_outputs(blend_input))
    assert mounted == ["folds-train-fold-0", "folds-train-fold-1", "folds-train-fold-2"]


def test_each_fold_writes_its_predictions_and_no_submission(run):
    base, root, report = run
    for k in range(3):
        working = base / "work" / "kaggle" / f"folds-train-fold-{k}" / "working"
        record = json.loads((working / FOLD_RECORD).read_text())
        assert record["fold"] == k and record["folds"] == 3 and record["tta"] == "flip"
        assert all((working / name).is_file() for name in FOLD_FILES.values())
        assert not (working / "submission.csv").exists() and (working / "model.keras").is_file()
        oof = np.load(working / FOLD_FILES["oof"])
        assert oof.shape == (len(np.load(working / FOLD_FILES["oof_rows"])), 10)
        metrics = json.loads((working / "metrics.json").read_text())
        assert 0.0 <= metrics["val_accuracy_without_tta"] <= 1.0  # the mirror's effect, shown


def test_the_blend_writes_the_submission_and_the_cv_score(run):
    base, root, report = run
    cv = report["cv"]
    assert cv["metric"] == "accuracy" and len(cv["folds"]) == 3
    assert sum(f["validated_rows"] for f in cv["folds"]) == 300  # every row once
    assert cv["spread"]["min"] <= cv["cv_score"] <= cv["spread"]["max"] or \
        abs(cv["cv_score"] - np.mean([f["score"] for f in cv["folds"]])) < 0.02
    sub = pd.read_csv(report["submission"], dtype=str)
    sample = pd.read_csv(root / "sample_submission.csv", dtype=str)
    assert sub["id"].tolist() == sample["id"].tolist()
    assert report["local_score"]["metric"] == "accuracy"
    assert report["local_score"]["value"] > 0.3  # ten classes: chance is 0.1
    working = base / "work" / "kaggle" / "folds-blend" / "working"
    assert (working / "cv_folds.png").is_file()
    metrics = json.loads((working / "metrics.json").read_text())
    assert metrics["stop_reason"] == "completed" and metrics["cv_score"] == pytest.approx(
        cv["cv_score"], abs=1e-6)
