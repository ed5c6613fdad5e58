"""submission.csv: built from the template, validated before it is written, atomic."""

import numpy as np
import pandas as pd
import pytest

from shared.submission import SubmissionError, SubmissionFormat, write_submission

CLASSES = ("cat", "dog", "fox")


@pytest.fixture
def fmt(tmp_path):
    path = tmp_path / "sample_submission.csv"
    # ids with leading zeros must survive as text
    pd.DataFrame({"ImageId": ["007", "010", "002", "100"], "Label": ["cat"] * 4}).to_csv(
        path, index=False)
    return SubmissionFormat.read(path, id_column="ImageId", label_column="Label", classes=CLASSES)


def test_build_maps_indices_to_class_values_in_template_order_with_fallback(fmt):
    sub = fmt.build(source_rows=np.array([0, 1, 3]), predicted=np.array([2, 1, 1]), fallback=0)
    assert sub["ImageId"].tolist() == ["007", "010", "002", "100"]
    assert sub["Label"].tolist() == ["fox", "dog", "cat", "dog"]  # row 2 had no image


def test_written_file_round_trips_ids_as_text(fmt, tmp_path):
    sub = fmt.build(np.arange(4), np.array([0, 1, 2, 0]), 0)
    path = write_submission(sub, tmp_path / "submission.csv", fmt)
    text = path.read_text().splitlines()
    assert text[0] == "ImageId,Label" and text[1] == "007,cat" and text[3] == "002,fox"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _valid(fmt):
    return fmt.build(np.arange(4), np.array([0, 1, 2, 0]), 0)


@pytest.mark.parametrize("break_it, message", [
    (lambda s: s.iloc[:3], r"submission has 3 rows, .*sample_submission.csv has 4"),
    (lambda s: s.assign(ImageId=["007", "010", "002", "999"]),
     r"ids differ from .*1 ids missing \('100'\); 1 ids not in .*\('999'\)"),
    (lambda s: s.assign(ImageId=["7", "10", "2", "100"]), r"3 ids missing \('002', '007', '010'\)"),
    (lambda s: s.assign(ImageId=["007", "007", "002", "100"]), r"ids missing \('010'\)"),
    (lambda s: s.assign(Label=["cat", "wolf", "cat", "Dog"]),
     r"labels that are not the competition's classes: 'Dog', 'wolf' \(2 rows\); expected one of "
     r"'cat', 'dog', 'fox'"),
    (lambda s: s.assign(Label=["cat", None, "cat", "dog"]), r"missing values in 1 rows"),
    (lambda s: s.assign(Label=["cat", "", "cat", "dog"]), r"missing values in 1 rows"),
    (lambda s: s.iloc[[1, 0, 2, 3]], r"another order"),
    (lambda s: s.rename(columns={"Label": "label"}), r"columns \['ImageId', 'label'\] differ"),
])
def test_validator_rejects_what_kaggle_would_reject(fmt, tmp_path, break_it, message):
    bad = break_it(_valid(fmt)).reset_index(drop=True)
    with pytest.raises(SubmissionError, match=message):
        write_submission(bad, tmp_path / "submission.csv", fmt)
    assert list(tmp_path.iterdir()) == [tmp_path / "sample_submission.csv"]  # nothing written


def test_test_shards_must_follow_the_template(fmt):
    fmt.check_test_split(np.array([0, 1, 3]), np.array(["007", "010", "100"]), total_rows=4)
    with pytest.raises(SubmissionError, match=r"row 1 holds id '002' in the shards and '010'"):
        fmt.check_test_split(np.array([0, 1, 3]), np.array(["007", "002", "100"]), total_rows=4)
    with pytest.raises(SubmissionError, match=r"test shards describe 5 rows, .* has 4"):
        fmt.check_test_split(np.arange(5), np.array(["a"] * 5), total_rows=5)


@pytest.mark.parametrize("content, message", [
    ("id,Label\n1,cat\n", r"has columns \['id', 'Label'\], expected the id column 'ImageId'"),
    ("ImageId,Label,Extra\n1,cat,x\n", r"other submission formats are not supported"),
    ("ImageId,Label\n1,cat\n1,dog\n", r"lists ids more than once: '1'"),
    ("ImageId,Label\n", r"holds only its header \(ImageId, Label\) and no rows: expected one row "
                        r"per test id.*If this is a code competition .* set \[competition\] "
                        r'submission = "code"'),
    ("", r"not a readable CSV"),
])
def test_bad_templates_are_refused(tmp_path, content, message):
    path = tmp_path / "sample_submission.csv"
    path.write_text(content)
    with pytest.raises(SubmissionError, match=message):
        SubmissionFormat.read(path, id_column="ImageId", label_column="Label", classes=CLASSES)


def test_missing_template_says_to_attach_the_competition(tmp_path):
    with pytest.raises(FileNotFoundError, match="attach the competition's data"):
        SubmissionFormat.read(tmp_path / "nope.csv", id_column="a", label_column="b",
                              classes=CLASSES)


def test_integer_classes_are_written_as_their_values(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id,label\n1,0\n2,0\n")
    fmt = SubmissionFormat.read(path, id_column="id", label_column="label", classes=(3, 7))
    sub = fmt.build(np.array([0, 1]), np.array([1, 0]), 0)
    fmt.validate(sub)
    assert sub["label"].tolist() == ["7", "3"]
