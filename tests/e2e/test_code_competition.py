"""A code competition end to end: the embedded example's public folder (3 placeholder rows) and
a real hidden one (200 other test images, 2 of them unreadable, ids the public sample never
shows). The dry run trains, runs the inference kernel on the public rows, then emulates Kaggle's
scoring rerun on the hidden folder (``--rerun-data``) and scores it against the true labels;
under the project's versions and Kaggle's (``.venv-kaggle``). The push runs preprocess -> train
-> infer against the fake Kaggle API and makes one code submission naming the inference kernel.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest

from dry_run_cli import CLI
from host.examples.code_competition import write_code_competition

ROOT = Path(__file__).resolve().parents[2]
SLUG = "fmnist-code"
CONFIG = """\
[competition]
slug = "{slug}"
data_dir = "{data}"
submission = "code"

[plan]
kernel_budget = "1MB"

[loader]
batch_size = 64

[train]
epochs = 2
"""
KAGGLE_PYTHON = os.environ.get("KAGGLE_PIPELINE_KERNEL_PYTHON", "")


@pytest.fixture(scope="module")
def competition(tmp_path_factory):
    return write_code_competition(ROOT / "examples" / "fashion-mnist-mini",
                                  tmp_path_factory.mktemp("code") / "data")


def config_file(folder: Path, data: Path) -> Path:
    path = folder / "pipeline.toml"
    path.write_text(CONFIG.format(slug=SLUG, data=data))
    return path


@pytest.fixture(scope="module", params=["project", "kaggle"])
def dry_run(request, competition, tmp_path_factory):
    if request.param == "kaggle" and not KAGGLE_PYTHON:
        pytest.skip("KAGGLE_PIPELINE_KERNEL_PYTHON is not set (make test sets it)")
    work = tmp_path_factory.mktemp(f"run-{request.param}")
    config = config_file(work, competition.public)
    python = ["--kernel-python", KAGGLE_PYTHON] if request.param == "kaggle" else []
    status = CLI.main(["--config", str(config), "--workdir", str(work / "w"),
                       "--rerun-data", str(competition.hidden), *python])
    assert status == 0
    report = json.loads((work / "w" / "report.json").read_text())
    return request.param, report, work


def test_the_hidden_set_is_a_real_one(competition):
    public = pd.read_csv(competition.public / "sample_submission.csv", dtype=str)
    hidden = pd.read_csv(competition.hidden / "sample_submission.csv", dtype=str)
    assert len(public) == 3 and len(hidden) == 200
    assert not set(public["id"]) & set(hidden["id"])
    assert len(competition.broken_ids) == 2
    assert sorted(p.stem for p in (competition.hidden / "test").iterdir()) == sorted(hidden["id"])


def test_the_public_run_predicts_the_placeholder_rows(dry_run, competition):
    _, report, _ = dry_run
    slugs = [k["slug"] for k in report["kernels"]]
    assert slugs[-3:] == [f"{SLUG}-train", f"{SLUG}-infer", f"{SLUG}-infer-rerun"]
    assert all(s.startswith(f"{SLUG}-preprocess-") for s in slugs[:-3])
    public = pd.read_csv(report["submission"], dtype=str)
    expected = pd.read_csv(competition.public / "sample_submission.csv", dtype=str)
    assert public["id"].tolist() == expected["id"].tolist()
    assert report["inference"]["test_rows"] == 3 and report["inference"]["rerun"] is False
    assert report["train_metrics"]["test_rows"] == 0  # the train kernel predicts no test set


def test_the_rerun_predicts_the_hidden_rows_and_lists_the_unreadable_ones(dry_run, competition):
    _, report, work = dry_run
    rerun = report["rerun"]
    submission = pd.read_csv(rerun["submission"], dtype=str)
    hidden = pd.read_csv(competition.hidden / "sample_submission.csv", dtype=str)
    assert rerun["rows"] == 200 and submission["id"].tolist() == hidden["id"].tolist()
    assert rerun["submission"] != report["submission"]  # kept apart from the public run's
    assert sorted(rerun["fallback"]["ids"]) == sorted(competition.broken_ids)
    assert rerun["network"].startswith("cut")
    assert rerun["images_per_s"] > 0
    assert rerun["local_score"]["metric"] == "accuracy"
    assert rerun["local_score"]["value"] > 0.6  # 2 epochs of the article CNN
    log = (work / "w" / "logs" / f"{SLUG}-infer-rerun.log").read_text()
    assert "200 test rows" in log and "(Kaggle's scoring rerun)" in log
    assert "2 of 200 test rows (1.0%) have no usable image" in log
    assert "images/s" in log and "10k images take" in log and "100k" in log


def test_the_push_runs_preprocess_train_infer_and_submits_the_inference_kernel(
        dry_run, competition, tmp_path):
    from fake_kaggle import FakeKaggle, default_outputs
    from kaggle_helpers import clean_env, push, write_config

    name, report, work = dry_run
    if name != "project":
        pytest.skip("the push is the same for both kernel Pythons")
    kaggle = work / "w" / "kaggle"
    produced = {kind: {p.name: p.read_bytes() for p in (kaggle / f"{SLUG}-{kind}" / "working")
                       .iterdir() if p.is_file() and p.suffix in (".json", ".csv")}
                for kind in ("train", "infer")}
    (tmp_path / "data").symlink_to(competition.public)
    config = write_config(tmp_path / "pipeline.toml", competition=SLUG, submission="code")
    config.write_text(config.read_text() + '\n[plan]\nkernel_budget = "1MB"\n')
    with FakeKaggle() as fake:
        fake.outputs_for = lambda k, v: produced.get(k.slug.rsplit("-", 1)[1]) or \
            default_outputs(k, v)
        env = clean_env(tmp_path / "home", KAGGLE_USERNAME=fake.username, KAGGLE_KEY=fake.key,
                        KAGGLE_PIPELINE_API_URL=fake.url)
        result = push(tmp_path, ["--config", str(config), "--submit"], env)
        assert result.returncode == 0, result.stderr
        pushed = [r.body["slug"] for r in fake.calls("SaveKernel")]
        code = fake.calls("CreateCodeSubmission")
        # a change only the inference kernel reads: only it runs again, then is submitted
        config.write_text(config.read_text().replace("[competition]\n",
                                                     "[competition]\nrerun_hours = 5\n"))
        again = push(tmp_path, ["--config", str(config), "--submit", "--skip-unchanged"], env)
        assert again.returncode == 0, again.stderr
        repushed = [r.body["slug"] for r in fake.calls("SaveKernel")][len(pushed):]
        resubmitted = fake.calls("CreateCodeSubmission")[1:]
    assert [s.rsplit("-", 1)[0] for s in pushed[:-2]] == [f"alice/{SLUG}-preprocess"] * \
        (len(pushed) - 2)
    assert pushed[-2:] == [f"alice/{SLUG}-train", f"alice/{SLUG}-infer"]
    assert len(code) == 1
    assert code[0].body["kernelSlug"] == f"{SLUG}-infer" and code[0].body["kernelVersion"] == 1
    assert code[0].body["competitionName"] == SLUG
    assert "scoring: scored: public score 0.8123" in result.stdout
    assert not fake.calls("StartSubmissionUpload")  # nothing uploaded as a CSV
    assert repushed == [f"alice/{SLUG}-infer"]
    assert f"alice/{SLUG}-train: unchanged and version 1" in again.stdout
    assert [(c.body["kernelSlug"], c.body["kernelVersion"]) for c in resubmitted] == \
        [(f"{SLUG}-infer", 2)]


def test_folds_and_tta_reach_the_inference_kernel(competition, tmp_path):
    config = config_file(tmp_path, competition.public)
    config.write_text(config.read_text().replace("epochs = 2", 'epochs = 1\nfolds = 2\n'
                                                 'augment = "flip"\ntta = "flip"'))
    status = CLI.main(["--config", str(config), "--workdir", str(tmp_path / "w"),
                       "--rerun-data", str(competition.hidden)])
    assert status == 0
    report = json.loads((tmp_path / "w" / "report.json").read_text())
    assert report["inference"]["models"] == [f"{SLUG}-train-fold-0", f"{SLUG}-train-fold-1"]
    assert report["inference"]["tta"] == "flip" and report["cv"]["metric"] == "accuracy"
    assert report["rerun"]["rows"] == 200 and report["rerun"]["local_score"]["value"] > 0.5


def test_a_zipped_code_competition_reads_the_hidden_archive_in_place(tmp_path, fmnist):
    import numpy as np

    from host.examples.layouts import LayoutExample, write_layout_example

    zipped = LayoutExample(layout="image_folder", zipped=True)
    for name, rows in (("public", 5), ("hidden", 100)):
        write_layout_example(tmp_path / name, zipped, fmnist["x_train"], fmnist["y_train"],
                             fmnist["x_test"][:rows], fmnist["y_test"][:rows])
    config = config_file(tmp_path, tmp_path / "public")
    status = CLI.main(["--config", str(config), "--workdir", str(tmp_path / "w"),
                       "--rerun-data", str(tmp_path / "hidden")])
    assert status == 0
    report = json.loads((tmp_path / "w" / "report.json").read_text())
    assert report["inference"]["test_rows"] == 5 and report["rerun"]["rows"] == 100
    assert report["rerun"]["local_score"]["value"] > 0.4
    extracted = [p for p in (tmp_path / "w").rglob("*")  # the images are te0000.jpg ...
                 if p.suffix in (".png", ".jpg") and re.fullmatch(r"t[er]\d{4}", p.stem)]
    assert extracted == [] and np.isfinite(report["rerun"]["images_per_s"])
