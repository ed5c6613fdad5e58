"""Blank lines in CSVs: row numbers must mean the same rows for the planner and every kernel.

A kernel reaches its rows by skipping lines, and skipping counts blank lines; a blank line
in the middle is therefore a row (refused, naming it), and blank lines at the end are not.
"""

from dataclasses import replace

import numpy as np
import pytest

from competitions import image_folder, pixel_csv, train_id
from host.settings import HostConfig
from host.planning import make_plan
from shared.preprocess import run_preprocess
from shared.sources import source_fingerprint
from shared.sources.tables import count_rows, read_columns, trailing_blank_lines
from shared.store import ShardSet


def _config():
    return HostConfig().replace(competition={"slug": "fmnist-comp"},
                                    store={"shard_bytes": 8_000},
                                    plan={"kernel_budget": 25_000, "decode_workers": 1})


def _add_lines(path, after_row=None, blank="", trailing=()):
    """Insert ``blank`` after data row ``after_row`` and append the ``trailing`` lines."""
    lines = path.read_text().splitlines()
    if after_row is not None:
        lines.insert(after_row + 2, blank)  # line 0 is the header
    path.write_text("\n".join([*lines, *trailing]) + "\n")


def _run_all(plan, comp, out):
    for assignment in plan.preprocess:
        run_preprocess(assignment, comp, out / assignment.kernel, progress=False)
    return ShardSet.discover(out, verify="full")


def _pixels(index):
    return np.concatenate([np.load(s.x) for s in index.shards])


@pytest.mark.parametrize("build", [image_folder, pixel_csv])
def test_trailing_blank_lines_are_not_rows(tmp_path, fmnist, build):
    comp = build(tmp_path / "comp", fmnist, 60, 12)
    for name in ("train.csv", "sample_submission.csv") + (("test.csv",) if build is pixel_csv
                                                          else ()):
        _add_lines(comp / name, trailing=("", "  ", "\r", ""))
    plan = make_plan(_config(), comp)
    assert plan.spec.split_rows == {"train": 60, "test": 12}
    assert len(plan.preprocess) >= 3  # kernels that start after row 0 read their own rows
    shards = _run_all(plan, comp, tmp_path / "out")
    np.testing.assert_array_equal(_pixels(shards.split("train")), fmnist["x_train"][:60])
    np.testing.assert_array_equal(_pixels(shards.split("test")), fmnist["x_test"][:12])


def test_a_blank_line_in_an_image_folder_csv_is_refused_by_the_planner(tmp_path, fmnist):
    comp = image_folder(tmp_path / "comp", fmnist, 60, 12)
    _add_lines(comp / "train.csv", after_row=24, trailing=("",))
    with pytest.raises(ValueError, match=r"train.csv: row 25 \(line 27\) is blank \(empty 'id', "
                                         r"'label'\): a blank line inside a CSV counts as a row"):
        make_plan(_config(), comp)


def test_a_kernel_after_a_blank_line_refuses_it_instead_of_shifting_rows(tmp_path, fmnist):
    """A hand-made assignment whose fingerprint matches the damaged data still refuses it."""
    comp = image_folder(tmp_path / "comp", fmnist, 60, 12)
    plan = make_plan(_config(), comp)
    later = next(a for a in plan.preprocess
                 if any(r.split == "train" and r.start > 10 for r in a.ranges))
    start = next(r.start for r in later.ranges if r.split == "train")
    _add_lines(comp / "train.csv", after_row=start, blank=" ")
    later = replace(later, source_fingerprint=source_fingerprint(later.source, comp))
    with pytest.raises(ValueError, match=rf"train.csv: row {start + 1} \(line {start + 3}\) "
                                         "is blank"):
        run_preprocess(later, comp, tmp_path / "out", progress=False)


def test_a_blank_line_in_a_pixel_csv_is_a_row_without_a_label(tmp_path, fmnist):
    comp = pixel_csv(tmp_path / "comp", fmnist, 30, 6)
    _add_lines(comp / "train.csv", after_row=9)
    with pytest.raises(ValueError, match=r"train.csv: 1 rows have no label in column 'label': "
                                         r"'10' \(row 10, line 12\).*a blank line counts as a row"):
        make_plan(_config(), comp)


def test_every_start_reads_the_rows_a_whole_read_numbers(tmp_path, fmnist):
    comp = image_folder(tmp_path / "comp", fmnist, 8, 2)
    _add_lines(comp / "train.csv", after_row=2, trailing=("", ""))
    _add_lines(comp / "train.csv", after_row=3)  # two blank rows in a row: rows 3 and 4
    path = comp / "train.csv"
    whole = read_columns(path, ["id", "label"])
    assert count_rows(path) == len(whole["id"]) == 10 and trailing_blank_lines(path) == 2
    assert whole["id"].tolist() == [train_id(i) for i in range(3)] + ["", ""] + \
        [train_id(i) for i in range(3, 8)]
    for start in range(10):  # a range may start on a blank row, even the first one read
        part = read_columns(path, ["id", "label"], start=start, stop=10)
        assert part["id"].tolist() == whole["id"][start:].tolist()
        assert part["label"].tolist() == whole["label"][start:].tolist()


@pytest.mark.parametrize("text, blank", [
    ("id\na\n", 0), ("id\na", 0), ("id\na\n\n", 1), ("id\na\n\n \n", 2), ("id\na\n\n\t", 2),
    ("id\r\na\r\n\r\n\r\n", 2), ("id\na  \n", 0), ("id\n", 0), ("id\n\n\n", 2),
])
def test_trailing_blank_lines_are_counted_like_pandas_reads_them(tmp_path, text, blank):
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode())
    assert trailing_blank_lines(path) == blank
    assert count_rows(path) == (0 if text.startswith("id\n\n") or text == "id\n" else 1)


def test_a_blank_first_line_is_not_a_header(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("\nid,label\na,1\n")
    with pytest.raises(ValueError, match="the first line of .*t.csv is blank: expected a header"):
        count_rows(path)
