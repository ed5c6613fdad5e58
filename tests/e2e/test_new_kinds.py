"""A new task kind, model family and source layout are new files, and nothing else.

In a copy of the repository, five files are added and none edited: a task kind
(``shared/tasks/upper_label.py``: one class per image, written in capitals), the rule that
recognises it (``host/planning/task_rules/upper_label.py``: the sample's placeholder is a class
name in capitals), a model family (``shared/models/tiny.py``), and a source layout
(``shared/sources/layouts/json_labels.py``: the labels in ``train_labels.json``) with its rule
(``host/planning/layout_rules/json_labels.py``). The copy's own ``scripts/dry_run.py`` then
plans, bundles and runs the embedded example with them, its labels moved from ``train.csv``
into ``train_labels.json``, and the submission is scored against the true labels.
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

LAYOUT = '''"""``json_labels``: the train labels in ``train_labels.json``, {id: label}, the images
found by id (a layout added as one file, and its rule)."""

import json
from pathlib import Path

import numpy as np

from shared.sources.layouts.base import SourceKind, TrainColumns, register_layout


@register_layout
class JsonLabels(SourceKind):
    name = "json_labels"

    @classmethod
    def train_columns(cls, layout, data_dir, start=0, stop=None):
        table = json.loads((Path(data_dir) / layout.train_csv).read_text())
        ids = np.asarray(sorted(table), dtype=object)[start:stop]
        labels = np.asarray([table[i] for i in ids], dtype=object)
        return TrainColumns(ids=ids, labels=labels, names=ids, where=layout.train_csv,
                            id_column="key", label_column="value")
'''

LAYOUT_RULE = '''"""``json_labels``: a ``train_labels.json`` beside the images."""

import dataclasses

from host.planning.layout_rules._shared import probed, test_folder
from host.planning.layout_rules.base import Detection, register_layout_rule
from host.planning.locate import locate
from shared.sources.layout import SourceLayout
from shared.sources.layouts import layout_kind
from shared.sources.tables import classes_of


@register_layout_rule("json_labels", order=15)
def json_file(e, forced):
    if not (e.data_dir / "train_labels.json").is_file():
        return "no train_labels.json"
    layout = SourceLayout(kind="json_labels", **e.common, train_csv="train_labels.json",
                          label_column="label", image_size=(1, 1), channels=1)
    train = layout_kind(layout.kind).train_columns(layout, e.data_dir)
    train_dir, train_ext = locate(e.index, e.data_dir, train.ids, "train")
    test_dir, test_ext, notes = test_folder(e)
    size, _ = probed(e, train_dir, train_ext, train.names)
    layout = dataclasses.replace(
        layout, **size, train_dir=train_dir, train_ext=train_ext, test_dir=test_dir,
        test_ext=test_ext, classes=classes_of(train.labels),
        split_rows={"train": len(train.ids), "test": len(e.test_ids)})
    return Detection(layout, ("layout json_labels: the labels are in train_labels.json",))
'''

NEW_FILES = {"shared/tasks/upper_label.py": TASK, "shared/models/tiny.py": MODEL,
             "host/planning/task_rules/upper_label.py": RULE,
             "shared/sources/layouts/json_labels.py": LAYOUT,
             "host/planning/layout_rules/json_labels.py": LAYOUT_RULE}


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


def test_a_new_task_kind_model_family_and_layout_run_as_new_files_alone(copy, tmp_path):
    before = _digest(copy)
    for name, text in NEW_FILES.items():
        assert not (copy / name).exists()
        (copy / name).write_text(text)
    data = tmp_path / "competition"
    shutil.copytree(copy / "examples" / "fashion-mnist-mini", data)
    sample = pd.read_csv(data / "sample_submission.csv", dtype=str)
    sample["label"] = sample["label"].str.upper()  # TSHIRT: the new rule's evidence
    sample.to_csv(data / "sample_submission.csv", index=False)
    labels = pd.read_csv(data / "train.csv", dtype=str)
    (data / "train_labels.json").write_text(json.dumps(dict(zip(labels["id"], labels["label"]))))
    (data / "train.csv").unlink()  # the labels are only in the new layout's file
    env = {**os.environ, "PYTHONPATH": str(copy)}
    proc = subprocess.run(
        [sys.executable, "scripts/dry_run.py", "--data", str(data), "--workdir",
         str(tmp_path / "work"), "--epochs", "2", "--disk-budget", "1MB",
         "--set", "train.model=tiny"], cwd=copy, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "json_labels (train_labels.json), 3000 train + 1000 test rows" in proc.stdout
    assert "note: layout json_labels: the labels are in train_labels.json" in proc.stdout
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
