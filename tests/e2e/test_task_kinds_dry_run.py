"""Every task kind from raw files to a validated submission through the dry run, scored
with its competition's metric against solution.csv, and better than the constant baseline."""

import ast
import json

import numpy as np
import pandas as pd
import pytest
from competitions import task_competition

from host.dryrun import DryRunOptions, run_dry_run
from host.dryrun.scoring import score_submission
from host.planning import make_plan
from host.settings import HostConfig
from shared.sources import read_split_rows
from shared.tasks import task_for

KINDS = ["label", "binary-probability", "class-probabilities", "multi-label", "regression",
         "top-k"]
PLOTS = {"label": "confusion_matrix.png", "binary-probability": "roc_curve.png",
         "class-probabilities": "confusion_matrix.png", "multi-label": "tag_f1.png",
         "regression": "predicted_vs_true.png", "top-k": "confusion_matrix.png"}


def constant_baseline(config: HostConfig, root) -> float:
    """The metric of predicting the training set's prior for every test row."""
    layout = make_plan(config).layout
    task = task_for(layout)
    prior = task.prior(read_split_rows(layout, root, "train").labels)
    solution = pd.read_csv(root / "solution.csv", dtype=str, keep_default_na=False)
    values = task.submission_values(np.tile(prior, (len(solution), 1)), {})
    constant = pd.DataFrame({c: list(v) for c, v in values.items()}).astype(str)
    return task.score(constant, solution)


@pytest.fixture(scope="module", params=KINDS)
def run(request, tmp_path_factory, fmnist):
    kind = request.param
    base = tmp_path_factory.mktemp(kind.replace("-", ""))
    root = task_competition(base / "data", fmnist, kind)
    config = HostConfig().replace(
        competition={"slug": f"kind-{kind}", "data_dir": str(root)},
        train={"epochs": 3}, plan={"kernel_budget": 400_000}, store={"shard_bytes": 60_000})
    report = run_dry_run(DryRunOptions(config=config, data_dir=root, workdir=base / "work",
                                       echo=None))
    return kind, root, config, report


def test_the_submission_has_the_tasks_shape(run):
    kind, root, config, report = run
    sample = pd.read_csv(root / "sample_submission.csv", dtype=str)
    sub = pd.read_csv(report["submission"], dtype=str, keep_default_na=False)
    assert list(sub.columns) == list(sample.columns) and sub["id"].tolist() == \
        sample["id"].tolist()
    task = task_for(make_plan(config).layout)
    if kind in ("binary-probability", "class-probabilities"):
        p = sub[list(task.value_columns)].astype(float).to_numpy()
        assert ((p >= 0) & (p <= 1)).all()
        if kind == "class-probabilities":
            np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
    elif kind == "regression":
        assert np.isfinite(sub["label"].astype(float)).all()
    elif kind == "top-k":
        assert all(len(set(v.split())) == 3 for v in sub["label"])
    else:
        tags = [v.split() for v in sub["label"]]
        assert all(tags) and all(set(t) <= {str(c) for c in task.classes} for t in tags)


def test_the_local_score_beats_the_constant_baseline(run):
    kind, root, config, report = run
    score = report["local_score"]
    task = task_for(make_plan(config).layout)
    assert score == score_submission(report["submission"], root / "solution.csv", "id", task)
    baseline = constant_baseline(config, root)
    better = score["value"] > baseline if task.higher_is_better else score["value"] < baseline
    assert better, f"{kind}: {score} against the constant baseline {baseline:.4f}"


def test_metrics_and_reports_follow_the_task(run):
    kind, root, config, report = run
    working = root.parent / "work" / "kaggle" / f"kind-{kind}-train" / "working"
    metrics = json.loads((working / "metrics.json").read_text())
    task = task_for(make_plan(config).layout)
    assert metrics["task"] == kind and metrics["monitor"] == task.monitor
    assert metrics[f"val_{task.metric}"] is not None
    assert (working / PLOTS[kind]).is_file() and (working / "training_curves.png").is_file()
    if kind == "multi-label":
        assert 0.05 <= metrics["threshold"] <= 0.95
    if kind == "regression":
        assert metrics["target_standardisation"]["std"] > 0


def test_the_push_builds_the_kinds_kernels_and_submits_its_submission(run, tmp_path):
    from fake_kaggle import FakeKaggle, default_outputs
    from kaggle_helpers import clean_env, push, write_config

    kind, root, config, report = run
    working = root.parent / "work" / "kaggle" / f"kind-{kind}-train" / "working"
    produced = {name: (working / name).read_bytes() for name in ("submission.csv",
                                                                  "metrics.json")}
    (tmp_path / "data").symlink_to(root)  # the config's data_dir
    write_config(tmp_path / "pipeline.toml", competition=f"kind-{kind}")
    with FakeKaggle() as fake:
        fake.outputs_for = lambda k, v: produced if k.slug.endswith("-train") else \
            default_outputs(k, v)
        env = clean_env(tmp_path / "home", KAGGLE_USERNAME=fake.username, KAGGLE_KEY=fake.key,
                        KAGGLE_PIPELINE_API_URL=fake.url)
        result = push(tmp_path, ["--config", str(tmp_path / "pipeline.toml"), "--submit"], env)
        assert result.returncode == 0, result.stderr
        saved = {r.body["slug"]: r.body for r in fake.calls("SaveKernel")}
        assert list(fake.uploads.values()) == [produced["submission.csv"]]
    train = saved[f"alice/kind-{kind}-train"]
    baked = next(line for line in train["text"].splitlines()
                 if line.startswith("BAKED_ASSIGNMENT = "))
    assignment = json.loads(ast.literal_eval(baked.partition(" = ")[2]))
    assert assignment["source"]["task"] == kind and assignment["spec"]["task"] == kind
    assert train["kernelDataSources"] == [f"alice/kind-{kind}-preprocess-00"]
