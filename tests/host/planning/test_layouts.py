"""Every layout Kaggle ships, recognised by the planner with its evidence: a labels CSV, one
folder per class, labels in file names (Dogs vs. Cats Redux), each also zipped."""

from __future__ import annotations

import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest

from dry_run_cli import dry_run
from host.examples.layouts import LayoutExample, write_layout_example
from host.planning import detect_layout, make_plan
from host.settings import HostConfig
from shared.config import SourceConfig
from shared.sources import ArchiveMember, ImageLocator, read_split_rows, source_fingerprint
from shared.sources.decode import DecodeSettings, decode_image


def config_for(root, **sections) -> HostConfig:
    base = {"competition": {"slug": "layouts", "data_dir": str(root)}}
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    return HostConfig().replace(**base)


def example(tmp_path, fmnist, layout, zipped=False, ext=".jpg", n_train=120, n_test=30):
    return write_layout_example(tmp_path / f"{layout}-{zipped}", LayoutExample(layout, zipped, ext),
                                fmnist["x_train"][:n_train], fmnist["y_train"][:n_train],
                                fmnist["x_test"][:n_test], fmnist["y_test"][:n_test])


def no_kernel_ran(tmp_path) -> bool:
    return not (tmp_path / "work" / "kaggle").exists() and \
        not (tmp_path / "work" / "logs").exists()


@pytest.mark.parametrize("zipped, train_dir, test_dir", [
    (False, "train", "test"), (True, "train.zip/train", "test.zip/test")])
def test_labels_in_file_names_are_dogs_vs_cats(tmp_path, fmnist, zipped, train_dir, test_dir):
    root = example(tmp_path, fmnist, "file_names", zipped)
    plan = make_plan(config_for(root, competition={"metric": "log_loss"}))
    layout = plan.layout
    assert (layout.kind, layout.train_csv, layout.train_dir, layout.test_dir) == \
        ("file_names", "", train_dir, test_dir)
    assert layout.classes == ("cat", "dog") and layout.task == "binary-probability"
    lines = plan.table().splitlines()
    assert lines[0].startswith(f"layouts: file_names (file names in {train_dir}/), ")
    assert lines[1].startswith("task binary-probability: P('dog') per image")
    assert any(line.startswith(f"note: layout file_names: no labels CSV; the names of the "
                               f"{layout.split_rows['train']} files in {train_dir}/ hold their "
                               "labels (the default pattern") and "'cat.0.jpg' is 'cat'" in line
               for line in lines)
    archives = ("note: images are decoded straight from train.zip and test.zip, without "
                "extracting them (nothing but the shards is written to disk)")
    assert (archives in lines) == zipped
    rows = read_split_rows(layout, root, "train")
    assert rows.ids[0] == "cat.0.jpg" and list(rows.ids) == sorted(rows.ids)
    names = pd.Series(rows.ids).str.split(".").str[0]
    assert (rows.labels == (names == "dog").to_numpy()).all()


def test_zipped_images_are_decoded_from_the_archive(tmp_path, fmnist):
    root = example(tmp_path, fmnist, "image_folder", zipped=True, ext=".png")
    layout = detect_layout(root)
    assert (layout.kind, layout.train_dir, layout.train_ext) == \
        ("image_folder", "train.zip/train", ".png")
    image = ImageLocator(root / layout.train_dir, layout.train_ext).find("tr0003")
    assert image == ArchiveMember(root / "train.zip", "train/tr0003.png")
    pixels = decode_image(image, DecodeSettings((28, 28), 1))
    assert (pixels[..., 0] == fmnist["x_train"][3][..., 0]).all()
    assert sorted(p.name for p in root.iterdir()) == [
        "LICENSE.txt", "sample_submission.csv", "solution.csv", "test.zip", "train.csv",
        "train.zip"]


def test_one_folder_per_class_takes_the_path_as_the_id(tmp_path, fmnist):
    root = example(tmp_path, fmnist, "class_folders", ext=".png")
    plan = make_plan(config_for(root))
    layout = plan.layout
    assert (layout.kind, layout.train_dir, layout.label_column) == ("class_folders", "train",
                                                                    "folder")
    rows = read_split_rows(layout, root, "train")
    assert "bag/0000.png" in rows.ids and "coat/0000.png" in rows.ids  # one name, two classes
    labels = [layout.classes[k] for k in rows.labels]
    assert labels == [i.split("/")[0] for i in rows.ids]
    assert plan.table().splitlines()[0].startswith("layouts: class_folders (class folders in "
                                                   "train/), 120 train + 30 test rows")


def test_a_label_pattern_reads_labels_the_default_does_not(tmp_path, fmnist):
    root = example(tmp_path, fmnist, "file_names", ext=".png")
    for path in (root / "train").iterdir():  # cat.0.png -> img_0_cat.png
        label, number, _ = path.name.split(".")
        path.rename(path.with_name(f"img_{number}_{label}.png"))
    with pytest.raises(ValueError, match=r"no labels in file names: \d+ of the \d+ names in "
                                         r"train/ do not match the default pattern"):
        detect_layout(root)
    layout = detect_layout(root, SourceConfig(label_pattern=r"img_[0-9]+_(?P<label>[a-z]+)\.png"))
    assert layout.kind == "file_names" and layout.classes == ("cat", "dog")


def test_the_layout_setting_must_fit_the_data(tmp_path, fmnist):
    root = example(tmp_path, fmnist, "file_names", ext=".png")
    with pytest.raises(ValueError, match=r"\[source\] layout = 'class_folders', but not one "
                                         r"folder per class \(train/<class>/<image>\): the train "
                                         r"images lie in train/ \(\d+\)"):
        detect_layout(root, SourceConfig(layout="class_folders"))


def test_no_labels_anywhere_is_refused_naming_what_was_looked_for(tmp_path, fmnist, capsys):
    root = example(tmp_path, fmnist, "image_folder", ext=".png")
    (root / "train.csv").unlink()
    status, _, err = dry_run(tmp_path, root)
    assert status == 1 and no_kernel_ran(tmp_path)
    assert err.startswith(f"dry run failed: cannot tell where the train labels are in {root}: "
                          "no labels CSV (found: sample_submission.csv; looked for "
                          "train.csv, train_labels.csv, labels.csv ...); not one folder per "
                          "class (train/<class>/<image>): the train images lie in train/ (120);"
                          " no labels in file names: 120 of the 120 names in train/ do not "
                          "match the default pattern")
    assert err.endswith("Set [source] train_csv to the labels CSV, or [source] layout = "
                        "\"class_folders\" (train/<class>/<image>) or \"file_names\" with "
                        "[source] label_pattern (a regular expression whose group 'label' reads "
                        "a file name's label)")


@pytest.mark.parametrize("name, what, fix", [
    ("train.7z", "a 7z archive", "7z x train.7z"),
    ("train.tar.gz", "a tar archive", "tar -xf train.tar.gz"),
])
def test_archives_other_than_zip_are_named_with_the_fix(tmp_path, fmnist, name, what, fix):
    root = example(tmp_path, fmnist, "image_folder", ext=".png")
    shutil.rmtree(root / "train")
    (root / name).write_bytes(b"not read")
    status, _, err = dry_run(tmp_path, root)
    assert status == 1 and no_kernel_ran(tmp_path)
    assert f"Found {name} ({what}): only .zip archives are read in place; extract it into " \
           f"the competition folder (e.g. {fix})" in err
    assert err.startswith("dry run failed: no image for train id 'tr0000' under")


def test_dicom_files_are_named_with_the_fix(tmp_path, fmnist):
    root = example(tmp_path, fmnist, "image_folder", ext=".png")
    for path in (root / "train").iterdir():
        path.rename(path.with_suffix(".dcm"))
    status, _, err = dry_run(tmp_path, root)
    assert status == 1 and no_kernel_ran(tmp_path)
    assert err.endswith("Found 120 DICOM files (e.g. train/tr0000.dcm): DICOM is not decoded; "
                        "convert them to PNG first (pydicom, or dcm2png). Studies of many DICOM "
                        "images per patient id, as the RSNA competitions ship, are out of this "
                        "pipeline's scope (see docs/code-competitions.md)")


def test_an_id_with_two_files_is_refused_before_any_kernel(tmp_path, fmnist):
    root = example(tmp_path, fmnist, "image_folder", ext=".png")
    shutil.copy(root / "test" / "te0000.png", root / "test" / "te0000.jpg")
    status, _, err = dry_run(tmp_path, root)
    assert status == 1 and no_kernel_ran(tmp_path)
    assert err == ("dry run failed: test id 'te0000' (sample_submission.csv) names 2 images: "
                   "test/te0000.jpg, test/te0000.png. Each id must name one image, or the train "
                   "and test sides could read different ones: remove the extra files (or rename "
                   "them)")


def test_integer_ids_match_zero_padded_file_names(tmp_path, fmnist):
    root = example(tmp_path, fmnist, "image_folder", ext=".png")
    sample = pd.read_csv(root / "sample_submission.csv", dtype=str)
    sample["id"] = [str(i + 7) for i in range(len(sample))]
    sample.to_csv(root / "sample_submission.csv", index=False)
    for i in range(len(sample)):
        (root / "test" / f"te{i:04d}.png").rename(root / "test" / f"{i + 7:05d}.png")
    plan = make_plan(config_for(root))
    assert ("note: 30 test ids (sample_submission.csv) match zero-padded file names, e.g. '7' "
            "is test/00007.png: each matches the one file whose number it is") in \
        plan.table().splitlines()
    locator = ImageLocator(root / plan.layout.test_dir, plan.layout.test_ext)
    assert locator.find("7") == root / "test" / "00007.png"
    shutil.copy(root / "test" / "00007.png", root / "test" / "0007.png")
    with pytest.raises(ValueError, match=r"test id '7' \(sample_submission.csv\) names 2 images: "
                                         r"test/00007.png, test/0007.png"):
        make_plan(config_for(root))


def test_an_archive_is_fingerprinted_by_its_directory_not_its_bytes(tmp_path, fmnist):
    root = example(tmp_path, fmnist, "file_names", zipped=True, ext=".png")
    layout = detect_layout(root)
    before = source_fingerprint(layout, root)
    with zipfile.ZipFile(root / "train.zip") as old:
        members = [(info, old.read(info)) for info in old.infolist()]
    with zipfile.ZipFile(root / "train.zip", "w", zipfile.ZIP_STORED) as new:  # same content
        for info, data in members:
            new.writestr(info.filename, data)
    assert source_fingerprint(layout, root) == before
    with zipfile.ZipFile(root / "train.zip", "a") as grown:
        grown.writestr("train/cat.999.png", members[0][1])
    assert source_fingerprint(layout, root) != before


def test_an_animated_gif_is_read_as_its_first_frame(tmp_path, fmnist):
    from PIL import Image

    frames = [Image.fromarray(fmnist["x_train"][i][..., 0], "L") for i in range(3)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:], duration=100)
    pixels = decode_image(tmp_path / "a.gif", DecodeSettings((28, 28), 1))
    assert np.abs(pixels[..., 0].astype(int) - fmnist["x_train"][0][..., 0]).max() <= 8
    assert ImageLocator(tmp_path).find("a") == tmp_path / "a.gif"
