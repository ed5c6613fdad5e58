"""The dry run end to end on a tiny subset of the embedded example, and its failure checks."""

import json
import platform
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from host.bundle.folder import KernelFolder
from host.config_file import load_config
from host.dryrun import DryRunError, DryRunOptions, run_dry_run
from host.dryrun.mounted import run_checked
from host.dryrun.tree import make_tree, mount_competition

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fashion-mnist-mini"


def tiny_competition(folder: Path, train: int = 240, test: int = 60) -> Path:
    """The first rows of the embedded example, in the same image-folder layout."""
    (folder / "train").mkdir(parents=True)
    (folder / "test").mkdir()
    labels = pd.read_csv(EXAMPLE / "train.csv", dtype=str).head(train)
    sample = pd.read_csv(EXAMPLE / "sample_submission.csv", dtype=str).head(test)
    solution = pd.read_csv(EXAMPLE / "solution.csv", dtype=str).head(test)
    for split, ids in (("train", labels["id"]), ("test", sample["id"])):
        for i in ids:
            shutil.copy(EXAMPLE / split / f"{i}.png", folder / split / f"{i}.png")
    labels.to_csv(folder / "train.csv", index=False)
    sample.to_csv(folder / "sample_submission.csv", index=False)
    solution.to_csv(folder / "solution.csv", index=False)
    return folder


def options(tmp_path, data, **kw) -> DryRunOptions:
    config = load_config(ROOT / "pipeline.toml").replace(
        train={"epochs": 1}, plan={"kernel_budget": 100_000, "decode_workers": 1},
        loader={"batch_size": 32}, store={"shard_bytes": 40_000})
    defaults = dict(config=config, data_dir=data, workdir=tmp_path / "work", echo=None)
    return DryRunOptions(**{**defaults, **kw})


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One full dry run, shared by the tests that read its results."""
    tmp = tmp_path_factory.mktemp("dry")
    opts = options(tmp, tiny_competition(tmp / "comp"))
    return opts, run_dry_run(opts)


def test_dry_run_end_to_end(finished):
    opts, report = finished
    kernels = report["kernels"]
    roles = [k["role"] for k in kernels]
    assert roles.count("preprocess") >= 2 and roles[-1] == "train"
    assert all(k["exit_status"] == 0 for k in kernels)
    assert json.loads((opts.workdir / "report.json").read_text()) == report
    submission = pd.read_csv(report["submission"], dtype=str)
    sample = pd.read_csv(opts.data_dir / "sample_submission.csv", dtype=str)
    assert list(submission["id"]) == list(sample["id"])
    assert 0.0 <= report["local_score"]["value"] <= 1.0
    assert report["train_metrics"]["epochs_completed"] == 1
    assert report["train_metrics"]["runtime"]["python"] == platform.python_version()
    manifest = next((opts.workdir / "kaggle").glob("*-preprocess-00/working/manifest.json"))
    assert json.loads(manifest.read_text())["extra"]["runtime"]["numpy"] == np.__version__


def test_the_train_kernel_trains_on_both_keras_backends(finished):
    """The same bundled train kernel on JAX (here with bfloat16 and 2 steps per call);
    the TensorFlow run is the shared one, both on uint8 batches normalised in the model."""
    opts, tf_report = finished
    tf_metrics = tf_report["train_metrics"]
    assert tf_metrics["backend"] == "tensorflow" and tf_metrics["precision"] == "float32"
    assert tf_metrics["steps_per_execution"] == 1 and tf_metrics["devices"] == ["/device:CPU:0"]
    config = opts.config.replace(train={"backend": "jax", "mixed_precision": "bfloat16",
                                        "steps_per_execution": 2})
    report = run_dry_run(DryRunOptions(**{**opts.__dict__, "only": "train", "config": config}))
    metrics = report["train_metrics"]
    assert (metrics["backend"], metrics["precision"], metrics["steps_per_execution"],
            metrics["devices"]) == ("jax", "mixed_bfloat16", 2, ["cpu:0"])
    assert metrics["epochs_completed"] == 1 and metrics["stop_reason"] == "completed"
    submission = pd.read_csv(report["submission"], dtype=str)
    sample = pd.read_csv(opts.data_dir / "sample_submission.csv", dtype=str)
    assert list(submission["id"]) == list(sample["id"])
    assert 0.0 <= report["local_score"]["value"] <= 1.0


def test_kernels_never_see_the_solution(finished):
    opts, _ = finished
    assert not list((opts.workdir / "kaggle").rglob("solution.csv"))


def test_train_alone_reuses_outputs_in_the_legacy_layout(finished):
    opts, _ = finished
    again = DryRunOptions(**{**opts.__dict__, "only": "train", "mounts": "legacy"})
    report = run_dry_run(again)
    assert [k["role"] for k in report["kernels"]] == ["train"]
    train_input = opts.workdir / "kaggle" / report["kernels"][0]["slug"] / "input"
    assert (train_input / report["kernels"][0]["slug"].replace("-train", "-preprocess-00")
            / "manifest.json").is_file()


def test_train_alone_without_outputs_says_what_to_run(tmp_path):
    data = tiny_competition(tmp_path / "comp", train=60, test=20)
    with pytest.raises(DryRunError, match="run the preprocessing kernels first"):
        run_dry_run(options(tmp_path, data, only="train"))


def test_output_cap_names_the_kernel_and_sizes(tmp_path):
    data = tiny_competition(tmp_path / "comp", train=60, test=20)
    with pytest.raises(DryRunError, match=r"kernel .*-preprocess-00 wrote \d+(\.\d)? KB to .* "
                                          r"over the output cap of 10\.0 KB"):
        run_dry_run(options(tmp_path, data, output_cap=10_000, only="preprocess"))


def test_failing_kernel_exit_status_reaches_the_dry_run(tmp_path):
    data = tiny_competition(tmp_path / "comp", train=60, test=20)
    broken = sorted((data / "train").glob("*.png"))[5]
    broken.write_bytes(b"not a png")
    opts = options(tmp_path, data, only="preprocess")
    strict = DryRunOptions(**{**opts.__dict__, "config": opts.config.replace(
        source={"strict": True})})
    with pytest.raises(DryRunError, match=rf"(?s)-preprocess-00 failed with exit status [1-9].*"
                                          rf"{broken.stem}"):
        run_dry_run(strict)


def test_a_kernel_that_writes_its_input_fails(tmp_path):
    data = tiny_competition(tmp_path / "comp", train=20, test=5)
    folder = tmp_path / "kernels" / "vandal"
    folder.mkdir(parents=True)
    (folder / "vandal.py").write_text(
        "import pathlib\n"
        "for p in pathlib.Path('../input').rglob('train.csv'):\n"
        "    p.write_text('id,label\\n')\n")
    tree = make_tree(tmp_path / "kaggle", "vandal")
    mount_competition(tree, data, "demo")
    kernel = KernelFolder(slug="vandal", role="preprocess", path=folder, script="vandal.py",
                          fingerprint="x")
    with pytest.raises(DryRunError, match="kernel vandal modified its read-only input "
                                          r"\(modified demo/train.csv\)"):
        run_checked(kernel, tree, options(tmp_path, data))


def test_fingerprints_follow_what_decides_each_output(tmp_path):
    from host.bundle.build import build_kernels
    from host.planning import make_plan

    data = tiny_competition(tmp_path / "comp", train=60, test=20)
    config = options(tmp_path, data).config
    plan = make_plan(config, data)

    def build(cfg, name):
        return build_kernels(plan, tmp_path / name, owner="me",
                             config=cfg)

    base = build(config, "a")
    retrained = build(config.replace(train={"epochs": 9}, kaggle={"poll_interval": 5}), "b")
    assert [k.fingerprint for k in base.preprocess] == \
        [k.fingerprint for k in retrained.preprocess]
    assert base.train.fingerprint != retrained.train.fingerprint
    moved = build(config.replace(competition={"data_dir": "/somewhere/else"}), "c")
    assert [k.fingerprint for k in moved.all] == [k.fingerprint for k in base.all]
    assert str(data) not in base.preprocess[0].script_path.read_text()  # no local path baked


def test_local_score_reads_the_submission_column(tmp_path):
    from host.dryrun.scoring import score_submission
    from shared.tasks.label import LabelTask

    pd.DataFrame({"ImageId": ["1", "2", "3", "4"], "Label": ["7", "2", "1", "0"]}).to_csv(
        tmp_path / "solution.csv", index=False)
    pd.DataFrame({"ImageId": ["4", "3", "2", "1"], "Label": ["0", "1", "2", "9"]}).to_csv(
        tmp_path / "submission.csv", index=False)
    task = LabelTask(classes=tuple(range(10)), value_columns=("Label",))
    assert score_submission(tmp_path / "submission.csv", tmp_path / "solution.csv", "ImageId",
                            task) == {"metric": "accuracy", "value": 0.75}
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['label'\]"):
        score_submission(tmp_path / "submission.csv", tmp_path / "solution.csv", "ImageId",
                         LabelTask(classes=tuple(range(10)), value_columns=("label",)))


def test_kernels_get_no_credentials(tmp_path, monkeypatch):
    from host.dryrun.runner import kernel_environment

    monkeypatch.setenv("KAGGLE_KEY", "secret")
    monkeypatch.setenv("KAGGLE_USERNAME", "alice")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    env = kernel_environment(make_tree(tmp_path, "k"))
    assert "KAGGLE_KEY" not in env and "KAGGLE_USERNAME" not in env and "PYTHONPATH" not in env
    assert env["KAGGLE_KERNEL_RUN_TYPE"] == "Batch"
