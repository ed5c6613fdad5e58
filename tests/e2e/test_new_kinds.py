"""A new task kind and a new model family are new files, and nothing else.

In a copy of the repository, three files are added and none edited: a task kind
(``shared/tasks/upper_label.py``: one class per image, written in capitals), the rule that
recognises it (``host/planning/task_rules/upper_label.py``: the sample's placeholder is a class
name in capitals) and a model family (``shared/models/tiny.py``). The copy's own
``scripts/dry_run.py`` then plans, bundles and runs the embedded example with them, and the
submission is scored against the true labels.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]

TASK = '''"""``upper-label``: one class per image, written in capitals (a kind added as one file)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shared.metrics import accuracy
from shared.tasks.base import TaskShapeError, register_task
from shared.tasks.label import LabelTask


@register_task
@dataclass(frozen=True)
class UpperLabelTask(LabelTask):
    name = "upper-label"
    metric = "accuracy_any_case"

    def submission_values(self, predicted, calibration):
        names = np.asarray([str(c).upper() for c in self.classes], dtype=object)
        return {self.column: names[predicted.argmax(axis=1)]}

    def check_values(self, frame, where):
        known = {str(c).upper() for c in self.classes}
        bad = [v for v in frame[self.column].astype(str) if v not in known]
        if bad:
            raise TaskShapeError(f"{where}: {bad[0]!r} is not a class in capitals")

    def validation_scores(self, true, predicted, calibration):
        return {**super().validation_scores(true, predicted, calibration),
                "val_accuracy_any_case": accuracy(true, predicted.argmax(axis=1))}

    def score(self, submission, solution):
        upper = lambda frame: frame[self.column].astype(str).str.upper().to_numpy()  # noqa
        return accuracy(upper(solution), upper(submission))
'''

RULE = '''"""``upper-label``: the sample's placeholder is a class name in capitals."""

from host.planning.task_rules.base import TaskEvidence, register_rule


@register_rule("upper-label", order=5)
def capitals(e: TaskEvidence) -> str:
    upper = {c.upper() for c in e.classes} - set(e.classes)
    if len(e.columns) == 1 and e.values and set(e.values) <= upper:
        return f"{e.where} holds class names in capitals, e.g. {e.values[0]!r}"
    return ""
'''

MODEL = '''"""``tiny``: one convolution, one pooling, the head (a family added as one file)."""

from shared.models.head import head_layers
from shared.models.registry import register_model
from shared.models.spec import ModelSpec


def _build(spec, shape, head):
    import keras

    return keras.Sequential([keras.Input(shape), keras.layers.Conv2D(16, 3, activation="relu"),
                             keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                             *head_layers(head)], name="tiny")


SPEC = register_model(ModelSpec(name="tiny", build=_build, min_side=3,
                                min_side_reason="convolves 3x3", description="a toy CNN",
                                augment="none", lr_schedule="constant", learning_rate=3e-3))
'''

NEW_FILES = {"shared/tasks/upper_label.py": TASK, "shared/models/tiny.py": MODEL,
             "host/planning/task_rules/upper_label.py": RULE}


def _digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """The repository's files (tracked, or new and not ignored), copied."""
    target = tmp_path_factory.mktemp("repo")
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, names):
        if (ROOT / name).is_file() and not name.startswith(("tests/", "benchmarks/", "docs/")):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def test_a_new_task_kind_and_model_family_run_as_new_files_alone(copy, tmp_path):
    before = _digest(copy)
    for name, text in NEW_FILES.items():
        assert not (copy / name).exists()
        (copy / name).write_text(text)
    data = tmp_path / "competition"
    shutil.copytree(copy / "examples" / "fashion-mnist-mini", data)
    sample = pd.read_csv(data / "sample_submission.csv", dtype=str)
    sample["label"] = sample["label"].str.upper()  # TSHIRT: the new rule's evidence
    sample.to_csv(data / "sample_submission.csv", index=False)
    env = {**os.environ, "PYTHONPATH": str(copy)}
    proc = subprocess.run(
        [sys.executable, "scripts/dry_run.py", "--data", str(data), "--workdir",
         str(tmp_path / "work"), "--epochs", "2", "--disk-budget", "1MB",
         "--set", "train.model=tiny"], cwd=copy, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "task upper-label: one of 10 classes" in proc.stdout
    assert "because sample_submission.csv holds class names in capitals, e.g. 'TSHIRT'" in \
        proc.stdout
    assert "train tiny on tensorflow for NvidiaTeslaT4: augment none, constant learning rate " \
        "0.003" in proc.stdout
    report = json.loads((tmp_path / "work" / "report.json").read_text())
    assert report["train_metrics"]["model"] == "tiny"
    assert report["train_metrics"]["task"] == "upper-label"
    submission = pd.read_csv(report["submission"], dtype=str)
    assert set(submission["label"]) <= {c.upper() for c in
                                        pd.read_csv(data / "solution.csv", dtype=str)["label"]}
    assert report["local_score"]["metric"] == "accuracy_any_case"
    assert report["local_score"]["value"] > 0.6  # two epochs of a toy CNN, 3000 images
    after = _digest(copy)
    edited = sorted(n for n in before if after.get(n) != before[n])
    added = sorted(set(after) - set(before))
    assert edited == []
    assert [n for n in added if not n.startswith("build/")] == sorted(NEW_FILES)
