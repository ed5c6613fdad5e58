import numpy as np
import pandas as pd
import pytest

from competitions import CLASS_NAMES, image_folder, pixel_csv, train_id
from shared.config import SourceConfig
from host.planning import detect_layout
from shared.sources import SourceLayout


def test_image_folder_with_string_labels(tmp_path, fmnist):
    comp = image_folder(tmp_path, fmnist, 30, 10)
    layout = detect_layout(comp)
    assert (layout.kind, layout.train_csv, layout.sample_submission) == \
        ("image_folder", "train.csv", "sample_submission.csv")
    assert (layout.id_column, layout.label_column, layout.target_column) == ("id", "label", "label")
    assert (layout.train_dir, layout.train_ext, layout.test_dir, layout.test_ext) == \
        ("train", ".png", "test", ".png")
    assert (layout.image_size, layout.channels) == ((28, 28), 1)
    assert layout.classes == tuple(sorted({CLASS_NAMES[k] for k in fmnist["y_train"][:30]}))
    assert layout.split_rows == {"train": 30, "test": 10}
    assert SourceLayout.from_dict(layout.to_dict()) == layout


def test_integer_labels_become_int_classes(tmp_path, fmnist):
    layout = detect_layout(image_folder(tmp_path, fmnist, 30, 5, string_labels=False))
    assert layout.classes == tuple(sorted(set(fmnist["y_train"][:30].tolist())))
    assert all(type(c) is int for c in layout.classes)


@pytest.mark.parametrize("kw, expect", [
    (dict(ext=".jpg", modes=("RGB",)), ("train", ".jpg", 3)),
    (dict(ext=".PNG"), ("train", ".PNG", 1)),
    (dict(id_has_ext=True, ext=".jpeg"), ("train", "", 1)),
    (dict(train_dir="train/train", test_dir="test/test", labels_csv="train_labels.csv"),
     ("train/train", ".png", 1)),
    (dict(train_dir="train_images", test_dir="test_images", modes=("P", "RGBA")),
     ("train_images", ".png", 1)),
])
def test_image_folders_as_competitions_ship_them(tmp_path, fmnist, kw, expect):
    layout = detect_layout(image_folder(tmp_path, fmnist, 12, 4, **kw))
    assert (layout.train_dir, layout.train_ext, layout.channels) == expect
    assert layout.split_rows == {"train": 12, "test": 4}


def test_ids_shared_by_both_splits_find_each_split_folder(tmp_path, fmnist):
    comp = image_folder(tmp_path, fmnist, 8, 4)
    for i in range(4):  # test ids equal to train ids, as when both splits count from 0
        (comp / "test" / f"t{i:03d}.png").rename(comp / "test" / f"{train_id(i)}.png")
    pd.DataFrame({"id": [train_id(i) for i in range(4)], "label": "bag"}).to_csv(
        comp / "sample_submission.csv", index=False)
    layout = detect_layout(comp)
    assert (layout.train_dir, layout.test_dir) == ("train", "test")


def test_a_path_column_locates_images(tmp_path, fmnist):
    comp = image_folder(tmp_path, fmnist, 10, 3)
    table = pd.read_csv(comp / "train.csv")
    table["file"] = [f"train/{i}.png" for i in table["id"]]
    table.to_csv(comp / "train.csv", index=False)
    layout = detect_layout(comp, SourceConfig(path_column="file"))
    assert (layout.path_column, layout.label_column, layout.train_dir) == ("file", "label", "")


def test_settings_override_every_guess(tmp_path, fmnist):
    comp = image_folder(tmp_path, fmnist, 10, 3)
    table = pd.read_csv(comp / "train.csv")
    table["fold"] = 0
    table.to_csv(comp / "train.csv", index=False)
    assert detect_layout(comp).label_column == "label"  # named like the submission's column
    table.rename(columns={"label": "kind"}).to_csv(comp / "train.csv", index=False)
    with pytest.raises(ValueError, match="cannot tell the label column of train.csv among "
                                         "kind, fold: set .source. label_column"):
        detect_layout(comp)
    source = SourceConfig(layout="image_folder", label_column="kind", image_size=(32, 20),
                          channels=3, resize="pad")
    layout = detect_layout(comp, source)
    assert (layout.label_column, layout.image_size, layout.channels, layout.resize) == \
        ("kind", (32, 20), 3, "pad")


def test_pixel_csv_like_digit_recognizer(tmp_path, fmnist):
    layout = detect_layout(pixel_csv(tmp_path, fmnist, 30, 12))
    assert (layout.kind, layout.test_csv, layout.id_column, layout.label_column,
            layout.target_column) == ("pixel_csv", "test.csv", "ImageId", "label", "Label")
    assert layout.source_shape == (28, 28, 1) and layout.image_size == (28, 28)
    assert layout.split_rows == {"train": 30, "test": 12}
    assert layout.classes == tuple(sorted(set(fmnist["y_train"][:30].tolist())))
    assert SourceLayout.from_dict(layout.to_dict()) == layout


def test_pixel_csv_of_rgb_images_and_a_resize_target(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (6, 8 * 8 * 3))
    columns = [f"pixel{i}" for i in range(rgb.shape[1])]
    frame = pd.DataFrame(rgb, columns=columns)
    frame.assign(label=["a", "b"] * 3).to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[:2].to_csv(tmp_path / "test.csv", index=False)
    pd.DataFrame({"id": [1, 2], "label": "a"}).to_csv(tmp_path / "sample_submission.csv",
                                                     index=False)
    layout = detect_layout(tmp_path, SourceConfig(image_size=(16, 16), channels=1))
    assert layout.source_shape == (8, 8, 3)
    assert (layout.image_size, layout.channels, layout.classes) == ((16, 16), 1, ("a", "b"))


@pytest.mark.parametrize("damage, message", [
    (lambda c: (c / "sample_submission.csv").unlink(), "no sample_submission.csv in"),
    (lambda c: (c / "train.csv").rename(c / "other.csv"),
     r"cannot tell where the train labels are in .*: no labels CSV \(found: other.csv, "
     r"sample_submission.csv; .* Set \[source\] train_csv to the labels CSV"),
    (lambda c: pd.DataFrame({"id": ["zzz"], "label": "a"}).to_csv(c / "sample_submission.csv",
                                                                  index=False),
     "no image for test id 'zzz' under .* set .source. path_column"),
    (lambda c: pd.DataFrame({"image": ["a"], "label": "a"}).to_csv(c / "sample_submission.csv",
                                                                   index=False),
     "train.csv has no column 'image' .* name the id column alike"),
    (lambda c: pd.DataFrame({"id": [], "label": []}).to_csv(c / "train.csv", index=False),
     "train.csv has no rows"),
])
def test_unusable_folders_are_explained(tmp_path, fmnist, damage, message):
    comp = image_folder(tmp_path, fmnist, 6, 2)
    damage(comp)
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        detect_layout(comp)


def test_a_missing_label_is_refused_at_detection(tmp_path, fmnist):
    comp = image_folder(tmp_path, fmnist, 6, 2)
    table = pd.read_csv(comp / "train.csv")
    table.loc[4, "label"] = None
    table.to_csv(comp / "train.csv", index=False)
    with pytest.raises(ValueError, match=r"train.csv: 1 rows have no label in column 'label': "
                                         r"'img0004' \(row 4, line 6\)"):
        detect_layout(comp)


@pytest.mark.parametrize("damage, message", [
    (lambda c: pd.DataFrame({"ImageId": [1], "Label": 0}).to_csv(c / "sample_submission.csv",
                                                                 index=False),
     "sample_submission.csv has 1 rows but test.csv has 5: the submission's ids follow"),
    (lambda c: pd.read_csv(c / "test.csv").iloc[:, :100].to_csv(c / "test.csv", index=False),
     "train.csv has 784 pixel columns but test.csv has 100"),
])
def test_inconsistent_pixel_csvs_are_explained(tmp_path, fmnist, damage, message):
    comp = pixel_csv(tmp_path, fmnist, 10, 5)
    damage(comp)
    with pytest.raises(ValueError, match=message):
        detect_layout(comp)


def test_a_non_square_pixel_csv_needs_its_size(tmp_path):
    frame = pd.DataFrame(np.zeros((2, 6 * 4), int), columns=[f"pixel{i}" for i in range(24)])
    frame.assign(label=[0, 1]).to_csv(tmp_path / "train.csv", index=False)
    frame.to_csv(tmp_path / "test.csv", index=False)
    pd.DataFrame({"id": [1, 2], "label": 0}).to_csv(tmp_path / "sample_submission.csv",
                                                    index=False)
    with pytest.raises(ValueError, match=r"24 pixel columns: not a square image .* "
                                         r"image_size = \[height, width\]"):
        detect_layout(tmp_path)
    layout = detect_layout(tmp_path, SourceConfig(image_size=(6, 4)))
    assert layout.source_shape == (6, 4, 1)


def test_a_broken_image_is_skipped_and_the_readable_ones_give_the_size(tmp_path, fmnist):
    comp = image_folder(tmp_path, fmnist, 6, 2, modes=("RGB",))
    (comp / "train" / "img0000.png").write_bytes(b"broken")
    layout = detect_layout(comp)
    assert (layout.image_size, layout.channels) == ((28, 28), 3)
