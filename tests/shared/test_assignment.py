import json

import pytest

from shared.assignment import (PreprocessAssignment, TrainAssignment, dump_assignment,
                               load_assignment)
from shared.config import PipelineConfig
from shared.kaggle_paths import find_competition_dir
from shared.sources import SourceLayout
from shared.store import DatasetSpec, PlanEntry, RowRange, WriterOptions
from shared.assignment import TrainChoices

LAYOUT = SourceLayout(kind="image_folder", train_csv="train.csv",
                      sample_submission="sample_submission.csv", id_column="id",
                      label_column="label", image_size=(28, 28), channels=1,
                      train_dir="train", test_dir="test", classes=("bag", "shoe"),
                      split_rows={"train": 10, "test": 4})
CHOICES = TrainChoices(model="article", backend="tensorflow", augment="none",
                       lr_schedule="constant", learning_rate=1e-3, monitor="val_accuracy")
SPEC = DatasetSpec(sample_shape=(28, 28, 1), split_rows={"train": 10, "test": 4},
                   classes=("bag", "shoe"), id_width=6)


def test_preprocess_assignment_round_trips():
    a = PreprocessAssignment(kernel="demo-preprocess-00", competition="demo",
                             ranges=(RowRange("train", 0, 10), RowRange("test", 0, 4)), spec=SPEC,
                             plan=(PlanEntry("demo-preprocess-00", "train", 0, 10),),
                             source=LAYOUT, source_fingerprint="abc",
                             config=PipelineConfig().replace(train={"epochs": 3}),
                             writer=WriterOptions(shard_bytes=2**20, budget_bytes=10**9))
    assert load_assignment(dump_assignment(a)) == a


def test_train_assignment_round_trips():
    a = TrainAssignment(kernel="demo-train", competition="demo",
                        sources=("demo-preprocess-00", "demo-preprocess-01"), spec=SPEC,
                        source=LAYOUT, source_fingerprint="abc", config=PipelineConfig(),
                        choices=CHOICES)
    assert load_assignment(dump_assignment(a)) == a


@pytest.mark.parametrize("text, message", [
    ("[1]", r"an assignment is a JSON object with a 'role' and its fields, received list \[1\]"),
    ("{}", r"assignment role None: expected 'preprocess', 'train', 'blend' or 'infer'"),
    ('{"role": "train"}', r"a train assignment lacks kernel, competition, sources, spec, source, "
                          r"source_fingerprint, config, choices; expected kernel, "),
    ('{"role": "train", "kernel": "k", "extra": 1}', r"lacks competition, .* and has unknown "
                                                       r"fields extra"),
])
def test_a_damaged_assignment_says_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        load_assignment(text)


def test_a_damaged_field_is_named():
    a = TrainAssignment(kernel="demo-train", competition="demo", sources=("p0",), spec=SPEC,
                        source=LAYOUT, source_fingerprint="abc", config=PipelineConfig(),
                        choices=CHOICES)
    data = json.loads(dump_assignment(a))
    del data["spec"]["sample_shape"]
    with pytest.raises(ValueError, match=r"assignment field 'spec' = .*: cannot be read "
                                         r"\(KeyError: 'sample_shape'\)"):
        load_assignment(data)


def test_competition_dir_is_found_in_either_mount(tmp_path):
    (tmp_path / "competitions" / "demo").mkdir(parents=True)
    (tmp_path / "competitions" / "demo" / "sample_submission.csv").write_text("id,label\n")
    assert find_competition_dir(tmp_path, "demo", "sample_submission.csv") == \
        tmp_path / "competitions" / "demo"
    with pytest.raises(FileNotFoundError, match="Attach the competition 'other'"):
        find_competition_dir(tmp_path / "competitions" / "demo" / "x", "other",
                             "sample_submission.csv")
