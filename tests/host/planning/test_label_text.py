"""Labels come back exactly as the labels CSV writes them: ``007`` stays ``007``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from competitions import image_folder
from host.planning import make_plan
from host.settings import HostConfig
from shared.sources.tables import classes_of
from shared.sources.targets import encode_targets, tag_list
from shared.submission import SubmissionError, SubmissionFormat
from shared.tasks import task_for


def config_for(root, **competition) -> HostConfig:
    return HostConfig().replace(competition={"slug": "codes", "data_dir": str(root),
                                             **competition})


def relabel(root, values) -> None:
    labels = pd.read_csv(root / "train.csv", dtype=str)
    labels["label"] = [values[i % len(values)] for i in range(len(labels))]
    labels.to_csv(root / "train.csv", index=False)


@pytest.mark.parametrize("raw, classes", [
    (["3", "10", "0", "3"], (0, 3, 10)),  # plain integers: numbers, sorted as numbers
    (["007", "010", "008"], ("007", "008", "010")),
    (["7", "010"], ("010", "7")),  # one code with a leading zero: all are text
    (["+1", "2"], ("+1", "2")),
    (["-1", "1"], ("-1", "1")),
    (["3.0", "4"], ("3.0", "4")),
    ([" 3", "4"], ("3", "4")),  # a space: text (the spaces around it are a CSV's padding)
])
def test_classes_are_numbers_only_when_every_label_is_a_plain_integer(raw, classes):
    found = classes_of(np.array(raw, dtype=object))
    assert found == classes and [type(c) for c in found] == [type(c) for c in classes]


def test_leading_zero_labels_round_trip_into_the_submission(tmp_path, fmnist):
    root = image_folder(tmp_path / "c", fmnist, 30, 6)
    relabel(root, ["007", "010", "008"])
    pd.DataFrame({"id": [f"t{i:03d}" for i in range(6)], "label": "007"}).to_csv(
        root / "sample_submission.csv", index=False)
    plan = make_plan(config_for(root))
    assert plan.layout.task == "label"  # codes, never a regression
    assert plan.layout.classes == ("007", "008", "010")
    assert "3 classes" in plan.table().splitlines()[0]
    task = task_for(plan.layout)
    written = task.submission_values(np.eye(3)[[1, 0, 2]], {})["label"]
    assert list(written) == ["008", "007", "010"]
    fmt = SubmissionFormat.read(root / "sample_submission.csv", id_column="id", task=task)
    bad = fmt.sample.assign(label="8")
    with pytest.raises(SubmissionError, match=r"labels that are not the competition's classes: "
                                              r"'8' \(6 rows\); expected one of '007', '008'"):
        fmt.validate(bad)


def test_dense_zero_padded_codes_are_classes_not_a_scale(tmp_path, fmnist):
    root = image_folder(tmp_path / "c", fmnist, 200, 6)
    relabel(root, [f"{i:03d}" for i in range(1, 101)])  # 001..100: codes, not a 1..100 scale
    pd.DataFrame({"id": [f"t{i:03d}" for i in range(6)], "label": "001"}).to_csv(
        root / "sample_submission.csv", index=False)
    config = config_for(root).replace(loader={"validation_fraction": 0.0})  # 2 rows a class
    layout = make_plan(config).layout
    assert layout.task == "label" and layout.classes[:2] == ("001", "002")


def test_tags_with_leading_zeros_are_tags_of_their_own():
    raw = np.array(["07 1", "1", "07"], dtype=object)
    tags = tag_list(raw)
    assert tags == ("07", "1")
    hot = encode_targets(raw, "multi_hot", tags, np.array(["a", "b", "c"]), where="train.csv",
                         column="tags")
    assert hot.tolist() == [[1, 1], [0, 1], [1, 0]]
    with pytest.raises(ValueError, match=r"tag '7' in column 'tags' is not in the planned tag"):
        encode_targets(np.array(["7"], dtype=object), "multi_hot", tags, np.array(["a"]),
                       where="train.csv", column="tags")
