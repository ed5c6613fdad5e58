"""Bad input the planner refuses, read as a user reads it: ``scripts/dry_run.py``'s own words,
and no preprocessing kernel run (the refusal comes before any kernel starts)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from competitions import image_folder, pixel_csv, save_image
from dry_run_cli import CLI, dry_run as run_cli, write_config
from host.planning import make_plan
from host.settings import HostConfig
from shared.preprocess import run_preprocess


def dry_run(tmp_path: Path, data: Path, capsys, *args: str) -> tuple[int, str]:
    """``scripts/dry_run.py`` on ``data``; its exit status and what it printed on stderr."""
    status, _, err = run_cli(tmp_path, data, *args)
    return status, err


def no_kernel_ran(tmp_path: Path) -> bool:
    work = tmp_path / "work"
    return not (work / "kaggle").exists() and not (work / "logs").exists()


def refused(tmp_path, data, capsys, *args) -> str:
    """The one message of a refused dry run; asserts that no kernel ran."""
    status, err = dry_run(tmp_path, data, capsys, *args)
    assert status == 1 and err.startswith("dry run failed: ")
    assert "Traceback" not in err and no_kernel_ran(tmp_path)
    return err[len("dry run failed: "):]


@pytest.fixture
def comp(tmp_path, fmnist) -> Path:
    return image_folder(tmp_path / "comp", fmnist, 60, 20)


def config_for(root: Path, **sections) -> HostConfig:
    base = {"competition": {"slug": "bad-input", "data_dir": str(root)}}
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    return HostConfig().replace(**base)


# -- the sample submission ------------------------------------------------------------------
def test_a_header_only_sample_is_refused_before_any_kernel(tmp_path, comp, capsys):
    (comp / "sample_submission.csv").write_text("id,label\n")
    message = refused(tmp_path, comp, capsys)
    assert message.startswith(f"{comp / 'sample_submission.csv'} holds only its header (id, "
                              "label) and no rows: expected one row per test id. With "
                              "[competition] submission = \"csv\" the pipeline predicts the test "
                              "ids that sample_submission.csv lists")
    assert 'If this is a code competition (its test images appear only when Kaggle re-runs the ' \
        'submitted notebook), set [competition] submission = "code"' in message


def test_a_sample_with_an_extra_column_is_refused_before_any_kernel(tmp_path, comp, capsys):
    sample = pd.read_csv(comp / "sample_submission.csv", dtype=str)
    sample.assign(Usage="Public").to_csv(comp / "sample_submission.csv", index=False)
    message = refused(tmp_path, comp, capsys)
    assert message.startswith("sample_submission.csv has columns ['id', 'label', 'Usage'] (e.g. "
                              "row 0: id='t000', label='tshirt', Usage='Public')")
    assert "Set [competition] task to one of binary-probability, class-probabilities, label" in message


# -- rows with a field too many -------------------------------------------------------------
def test_a_labels_row_with_a_field_too_many_is_refused_naming_its_line(tmp_path, comp, capsys):
    lines = (comp / "train.csv").read_text().splitlines()
    lines[4] = lines[4].split(",")[0] + ",sneaker,dress"  # row 3 of the labels
    (comp / "train.csv").write_text("\n".join(lines) + "\n")
    assert refused(tmp_path, comp, capsys) == (
        "train.csv: row 3 (line 5) has more fields than the header's 2 (id, label); the first "
        "value past them is 'dress'. Reading on would drop or shift values, so the file is "
        "refused: fix or remove that line (a value that holds a comma needs double quotes)")


@pytest.mark.parametrize("name, line", [("train.csv", 7), ("test.csv", 3)])
def test_a_pixel_row_with_a_value_too_many_is_refused_naming_its_line(tmp_path, fmnist, capsys,
                                                                       name, line):
    data = pixel_csv(tmp_path / "comp", fmnist, 30, 10)
    lines = (data / name).read_text().splitlines()
    lines[line - 1] += ",0"
    (data / name).write_text("\n".join(lines) + "\n")
    message = refused(tmp_path, data, capsys)
    assert message.startswith(f"{name}: row {line - 2} (line {line}) has more fields than the "
                              f"header's {785 if name == 'train.csv' else 784} (")
    assert "the first value past them is '0'. Reading on would drop or shift values" in message


def test_quoted_commas_are_one_field(tmp_path, comp):
    table = pd.read_csv(comp / "train.csv", dtype=str)
    table["label"] = table["label"].str.replace("shirt", "shirt, short")
    table.to_csv(comp / "train.csv", index=False)  # pandas quotes them
    assert "tshirt, short" in make_plan(config_for(comp)).layout.classes


# -- labels that read as missing ------------------------------------------------------------
@pytest.mark.parametrize("word", ["NaN", "nan", "None", "null"])
def test_a_label_that_reads_as_missing_is_refused(tmp_path, comp, capsys, word):
    table = pd.read_csv(comp / "train.csv", dtype=str, keep_default_na=False)
    table.loc[[5, 9], "label"] = word
    table.to_csv(comp / "train.csv", index=False)
    assert refused(tmp_path, comp, capsys) == (
        f"train.csv: column 'label' holds {word!r} in 2 rows ('img0005' (row 5, line 7), "
        "'img0009' (row 9, line 11)): words that pandas and most tools read as a missing label. "
        "Taken as text, they would be a class of their own (11 classes instead of 10). Fill in "
        f"those labels or remove the rows; if {word!r} is a real class name, set [source] "
        'null_labels = "keep"')


def test_missing_words_kept_as_classes_are_flagged_in_the_plan(tmp_path, comp):
    table = pd.read_csv(comp / "train.csv", dtype=str, keep_default_na=False)
    table.loc[[5, 9], "label"] = "None"
    table.to_csv(comp / "train.csv", index=False)
    plan = make_plan(config_for(comp, source={"null_labels": "keep"}))
    assert "None" in plan.layout.classes and len(plan.layout.classes) == 11
    assert ("note: train.csv: column 'label' holds 'None' in 2 rows, words most tools read as a "
            "missing label: kept as classes of their own ([source] null_labels = \"keep\")"
            ) in plan.table().splitlines()


# -- id columns -----------------------------------------------------------------------------
def test_differently_named_id_columns_suggest_the_edit_that_fixes_them(tmp_path, comp, capsys):
    table = pd.read_csv(comp / "train.csv", dtype=str)
    table.rename(columns={"id": "image_id"}).to_csv(comp / "train.csv", index=False)
    assert refused(tmp_path, comp, capsys) == (
        "train.csv has no column 'id' (the id column of sample_submission.csv); its columns are "
        "image_id, label. Both files must name the id column alike, and [source] id_column "
        "cannot rename one: it names the same column in both. Rename train.csv's column "
        "'image_id' (e.g. 'img0000') to 'id' in its header line (or sample_submission.csv's "
        "'id' to 'image_id')")


def test_ids_with_spaces_around_them_find_their_images_and_the_plan_says_so(tmp_path, comp):
    table = pd.read_csv(comp / "train.csv", dtype=str)
    table.loc[3, "id"] = " " + table.loc[3, "id"]
    table.to_csv(comp / "train.csv", index=False)
    sample = pd.read_csv(comp / "sample_submission.csv", dtype=str)
    sample.loc[5, "id"] = sample.loc[5, "id"] + " "
    sample.to_csv(comp / "sample_submission.csv", index=False)
    plan = make_plan(config_for(comp, plan={"kernel_budget": 10**6}))
    assert ("note: ids with spaces around them: 1 in train.csv (e.g. ' img0003'); 1 in "
            "sample_submission.csv (e.g. 't005 '). Their images are looked up without the "
            "spaces; submission.csv keeps the ids exactly as sample_submission.csv writes them"
            ) in plan.table().splitlines()
    summary = run_preprocess(plan.preprocess[0], comp, tmp_path / "out", progress=False)
    assert summary.rejects == () and summary.samples == 80


def test_decomposed_unicode_file_names_match_composed_ids(tmp_path, comp, fmnist):
    # macOS zips store names decomposed (e + combining accent); CSVs hold them composed
    nfc = unicodedata.normalize("NFC", "crème_brûlée")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    for split, column, csv in (("train", "id", "train.csv"), ("test", "id",
                                                              "sample_submission.csv")):
        table = pd.read_csv(comp / csv, dtype=str)
        old = table.loc[2, column]
        (comp / split / f"{old}.png").rename(comp / split / f"{nfd}.png")
        table.loc[2, column] = nfc
        table.to_csv(comp / csv, index=False)
    plan = make_plan(config_for(comp, plan={"kernel_budget": 10**6}))
    summary = run_preprocess(plan.preprocess[0], comp, tmp_path / "out", progress=False)
    assert summary.rejects == () and summary.samples == 80


# -- image size and mode --------------------------------------------------------------------
def test_one_odd_image_does_not_decide_the_size_and_the_plan_says_they_vary(tmp_path, comp,
                                                                            fmnist):
    odd = np.zeros((40, 60, 1), np.uint8)
    (comp / "train" / "img0000.png").unlink()
    save_image(comp / "train" / "img0000.png", odd, "RGB")  # row 0: a 40x60 colour image
    plan = make_plan(config_for(comp))
    assert plan.spec.sample_shape == (28, 28, 1) and len(plan.preprocess) == 1
    lines = plan.table().splitlines()
    assert ("note: image sizes vary among 32 sampled train images: 28x28 (31), 40x60 (1); all "
            "are resized to the most common, 28x28 (set [source] image_size to choose another)"
            ) in lines
    assert ("note: image modes vary among 32 sampled train images: grayscale (31), colour (1); "
            "all are stored as the most common, grayscale (channels = 1; set [source] channels "
            "to choose)") in lines


# -- the work folder ------------------------------------------------------------------------
def test_a_workdir_inside_the_data_folder_is_refused(tmp_path, comp, capsys):
    config = write_config(tmp_path / "pipeline.toml", comp)
    status = CLI.main(["--config", str(config), "--workdir", str(comp / "build" / "dry-run")])
    err = capsys.readouterr().err.strip()
    assert status == 1 and err == (
        f"dry run failed: --workdir {comp / 'build' / 'dry-run'} is inside the competition "
        f"folder {comp} (--data): the dry run links every entry of that folder into each "
        "kernel's input, so the work folder would hold a link to itself. Choose a work folder "
        f"outside it, e.g. --workdir {tmp_path / 'comp-dry-run'}")
    assert not (comp / "build").exists()


def test_a_workdir_that_is_a_file_is_refused(tmp_path, comp, capsys):
    (tmp_path / "work").write_text("not a folder")
    status, err = dry_run(tmp_path, comp, capsys)
    assert status == 1 and err == (
        f"dry run failed: --workdir {tmp_path / 'work'} is a file: expected a folder (created "
        "when missing) to hold the emulated /kaggle trees, kernels, logs and report.json. "
        f"Choose another path, e.g. --workdir {tmp_path / 'work-dry-run'}")
