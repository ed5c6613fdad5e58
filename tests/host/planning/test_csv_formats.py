"""Labels CSVs as spreadsheets write them: semicolons or tabs, byte-order marks, another
encoding, no header line; read where the file says how, refused naming the fix where not."""

from __future__ import annotations

import pandas as pd
import pytest

from competitions import image_folder
from dry_run_cli import dry_run
from host.planning import make_plan
from host.settings import HostConfig
from shared.sources import read_split_rows


def config_for(root) -> HostConfig:
    return HostConfig().replace(competition={"slug": "csvs", "data_dir": str(root)})


def refused(tmp_path, data) -> str:
    status, _, err = dry_run(tmp_path, data)
    assert status == 1 and "Traceback" not in err
    assert not (tmp_path / "work" / "kaggle").exists()
    assert not (tmp_path / "work" / "logs").exists()
    return err[len("dry run failed: "):]


@pytest.fixture
def comp(tmp_path, fmnist):
    return image_folder(tmp_path / "comp", fmnist, 40, 8)


@pytest.mark.parametrize("sep, words", [(";", "separated by semicolons (';')"),
                                        ("\t", "separated by tabs ('\\t')")])
def test_semicolons_and_tabs_are_read_and_said(comp, sep, words):
    labels = pd.read_csv(comp / "train.csv", dtype=str)
    labels.to_csv(comp / "train.csv", index=False, sep=sep)
    plan = make_plan(config_for(comp))
    assert f"note: train.csv is {words}: read as such" in plan.table().splitlines()
    rows = read_split_rows(plan.layout, comp, "train")
    assert list(rows.ids) == list(labels["id"])
    assert [plan.layout.classes[k] for k in rows.labels] == list(labels["label"])


@pytest.mark.parametrize("encoding, words", [("utf-8-sig", "UTF-8 with a byte-order mark"),
                                             ("utf-16", "UTF-16")])
def test_a_byte_order_mark_says_the_encoding(comp, encoding, words):
    labels = pd.read_csv(comp / "train.csv", dtype=str)
    labels["label"] = labels["label"].str.replace("bag", "sac à main")
    labels.to_csv(comp / "train.csv", index=False, encoding=encoding)
    plan = make_plan(config_for(comp))
    assert f"note: train.csv is {words}: read as such" in plan.table().splitlines()
    assert "sac à main" in plan.layout.classes


def test_a_file_that_is_not_utf8_is_refused_naming_its_line(tmp_path, comp):
    labels = pd.read_csv(comp / "train.csv", dtype=str)
    labels.loc[2, "label"] = "naïve"
    labels.to_csv(comp / "train.csv", index=False, encoding="latin-1")
    assert refused(tmp_path, comp) == (
        "train.csv is not UTF-8: line 4 holds the byte 0xef ('img0002,naïve' if it is "
        "Windows-1252 or Latin-1) and has no byte-order mark saying which encoding it is. Save "
        "it as UTF-8, e.g. iconv -f cp1252 -t utf-8 train.csv > utf8.csv and replace train.csv "
        "with utf8.csv")


def test_a_labels_csv_without_a_header_line_says_so(tmp_path, comp):
    labels = pd.read_csv(comp / "train.csv", dtype=str)
    labels.to_csv(comp / "train.csv", index=False, header=False)
    assert refused(tmp_path, comp) == (
        "train.csv has no header line: its first line 'img0000,boot' is a data row ('img0000' "
        "names the image train/img0000.png). Add a header line naming the columns at its top, "
        "e.g. 'id,label' (the id column as sample_submission.csv names it); renaming a value "
        "in the first line would lose that row")
