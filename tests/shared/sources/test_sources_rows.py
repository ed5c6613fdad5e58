import numpy as np
import pandas as pd
import pytest

from competitions import CLASS_NAMES, image_folder, pixel_csv, train_id
from host.planning import detect_layout
from shared.sources import (check_source_fingerprint, iter_pixel_rows,
                            read_split_rows, source_fingerprint)


def test_rows_of_a_range_with_class_indices(tmp_path, fmnist):
    comp = image_folder(tmp_path, fmnist, 40, 6)
    layout = detect_layout(comp)
    rows = read_split_rows(layout, comp, "train", 10, 25)
    assert (rows.start, rows.stop, len(rows)) == (10, 25, 15)
    assert rows.ids.tolist() == [train_id(i) for i in range(10, 25)]
    names = [layout.classes[k] for k in rows.labels]
    assert names == [CLASS_NAMES[k] for k in fmnist["y_train"][10:25]]
    test = read_split_rows(layout, comp, "test")
    assert test.labels is None and test.ids.tolist() == [f"t{i:03d}" for i in range(6)]


def test_pixel_csv_rows_and_chunks(tmp_path, fmnist):
    comp = pixel_csv(tmp_path, fmnist, 30, 10)
    layout = detect_layout(comp)
    train = read_split_rows(layout, comp, "train", 5, 12)
    assert train.ids.tolist() == [str(i) for i in range(5, 12)]  # no id column: row numbers
    assert train.labels.tolist() == fmnist["y_train"][5:12].tolist()
    assert read_split_rows(layout, comp, "test", 3, 6).ids.tolist() == ["4", "5", "6"]
    chunks = list(iter_pixel_rows(layout, comp, "test", 2, 9))
    assert chunks[0][0] == 2
    values = np.concatenate([v for _, v in chunks])
    np.testing.assert_array_equal(values, fmnist["x_test"][2:9].reshape(7, -1))


def _edit_train_csv(comp, edit):
    table = pd.read_csv(comp / "train.csv", dtype=str)
    edit(table)
    table.to_csv(comp / "train.csv", index=False)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.loc.__setitem__((7, "id"), "img0003"),
     r"train.csv: id 'img0003' appears 2 times \(rows 3, 7\); the 'id' column must identify"),
    (lambda t: t.loc.__setitem__((5, "label"), ""),
     r"train.csv: 1 rows have no label in column 'label': 'img0005' \(row 5, line 7\); "
     "fill in"),
    (lambda t: t.loc.__setitem__((6, "label"), "zebra"),
     r"label 'zebra' in column 'label' is not in the planned class list .* re-plan"),
    (lambda t: t.loc.__setitem__((2, "id"), " "),
     r"train.csv: 1 rows have an empty 'id' \(row 2 \(line 4\)\)"),
])
def test_bad_labels_and_ids_are_named(tmp_path, fmnist, edit, message):
    comp = image_folder(tmp_path, fmnist, 12, 3)
    layout = detect_layout(comp)
    _edit_train_csv(comp, edit)
    with pytest.raises(ValueError, match=message):
        read_split_rows(layout, comp, "train")


def test_duplicate_test_ids_are_refused(tmp_path, fmnist):
    comp = image_folder(tmp_path, fmnist, 6, 4)
    layout = detect_layout(comp)
    pd.DataFrame({"id": ["t000", "t001", "t000", "t003"], "label": "bag"}).to_csv(
        comp / "sample_submission.csv", index=False)
    with pytest.raises(ValueError, match="sample_submission.csv: id 't000' appears 2 times"):
        read_split_rows(layout, comp, "test")


def test_a_csv_shorter_than_planned_is_refused(tmp_path, fmnist):
    comp = pixel_csv(tmp_path, fmnist, 20, 4)
    layout = detect_layout(comp)
    with pytest.raises(ValueError, match=r"train.csv ends after row 20, but rows \[15, 25\) "
                                         "were planned"):
        read_split_rows(layout, comp, "train", 15, 25)


def test_fingerprint_follows_the_csv_content_and_settings(tmp_path, fmnist):
    comp = image_folder(tmp_path, fmnist, 10, 3)
    layout = detect_layout(comp)
    planned = source_fingerprint(layout, comp)
    check_source_fingerprint(layout, comp, planned)
    from dataclasses import replace
    assert source_fingerprint(replace(layout, resize="pad"), comp) != planned
    _edit_train_csv(comp, lambda t: t.loc.__setitem__((0, "label"), "bag"))
    with pytest.raises(ValueError, match="differs from the data the plan was made from .* "
                                         "covers train.csv, sample_submission.csv"):
        check_source_fingerprint(layout, comp, planned)
