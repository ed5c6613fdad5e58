import json
import shutil

import numpy as np
import pytest

from shard_fixtures import make_spec, split_plan, write_output
from shared.store import (MANIFEST_NAME, CoverageError, RowRange, ShardSet, ShardSetError,
                          find_manifests)
from shared.store.npy import header_bytes, read_header


def test_finds_manifests_in_both_kaggle_layouts_and_merges_them(multi_kernel_output, fmnist):
    root, spec, _ = multi_kernel_output
    assert len(find_manifests(root)) == 3
    shards = ShardSet.discover(root, verify="full")
    assert shards.sample_shape == (28, 28, 1) and shards.classes == tuple(range(10))
    train = shards.split("train")
    assert len(train) == 600
    np.testing.assert_array_equal(train.labels(), fmnist["y_train"])
    np.testing.assert_array_equal(np.concatenate([np.load(s.x) for s in train.shards]),
                                  fmnist["x_train"])
    assert len(shards.split("test")) == 100


def test_no_manifest_says_what_to_attach(tmp_path):
    with pytest.raises(FileNotFoundError, match="no manifest.json found under .* attach the "
                                                "preprocessing kernels' outputs"):
        ShardSet.discover(tmp_path)


def test_missing_range_names_the_kernel_that_owns_it(multi_kernel_output):
    root, _, _ = multi_kernel_output
    shutil.rmtree(root / "preprocess-01")
    with pytest.raises(CoverageError, match=r"train rows \[200, 400\) are missing: .* the plan "
                                            r"assigns them to preprocess-01"):
        ShardSet.discover(root)


def test_missing_tail_is_reported(tmp_path, fmnist):
    plan = split_plan(600, 2)
    write_output(tmp_path / "a", make_spec(600), [RowRange("train", 0, 300)], fmnist, plan=plan)
    with pytest.raises(CoverageError, match=r"train rows \[300, 600\) are missing .* "
                                            r"preprocess-01"):
        ShardSet.discover(tmp_path)


def test_same_output_attached_twice_is_an_overlap(multi_kernel_output):
    root, _, _ = multi_kernel_output
    shutil.copytree(root / "preprocess-01", root / "copy-of-01")
    with pytest.raises(CoverageError, match=r"train rows \[200, 2\d\d\) overlap: listed in .* "
                                            r"same output is attached twice"):
        ShardSet.discover(root)


def test_one_output_reached_through_a_symlink_is_read_once(multi_kernel_output, fmnist):
    root, _, _ = multi_kernel_output
    (root / "linked-01").symlink_to(root / "preprocess-01", target_is_directory=True)
    (root / "notebooks" / "alice" / "loop").symlink_to(root, target_is_directory=True)
    found = find_manifests(root)
    assert len(found) == 3 and len({p.resolve() for p in found}) == 3
    assert not any("loop" in p.parts for p in found)
    train = ShardSet.discover(root).split("train")
    np.testing.assert_array_equal(train.labels(), fmnist["y_train"])


def test_overlapping_kernels_are_refused(tmp_path, fmnist):
    spec = make_spec(600)
    write_output(tmp_path / "a", spec, [RowRange("train", 0, 400)], fmnist, producer="k0")
    write_output(tmp_path / "b", spec, [RowRange("train", 300, 600)], fmnist, producer="k1")
    with pytest.raises(CoverageError, match=r"train rows \[300, 3\d\d\) overlap: .* two kernels "
                                            "wrote the same rows"):
        ShardSet.discover(tmp_path)


def test_mismatched_shapes_name_both_manifests(tmp_path, fmnist):
    write_output(tmp_path / "a", make_spec(600), [RowRange("train", 0, 300)], fmnist)
    small = {"x_train": np.ascontiguousarray(fmnist["x_train"][:, :14, :14]),
             "y_train": fmnist["y_train"]}
    write_output(tmp_path / "b", make_spec(600, sample_shape=(14, 14, 1)),
                 [RowRange("train", 300, 600)], small, producer="preprocess-01")
    with pytest.raises(ShardSetError, match=r"b/manifest.json and .*a/manifest.json describe "
                                            r"different data sets: sample_shape is \(14, 14, 1\)"
                                            r" .* re-run preprocess-01"):
        ShardSet.discover(tmp_path)


def test_truncated_shard_reports_both_sizes(multi_kernel_output):
    root, _, _ = multi_kernel_output
    victim = sorted((root / "preprocess-01").glob("train-*-x.npy"))[2]
    size = victim.stat().st_size
    with open(victim, "r+b") as fh:
        fh.truncate(size - 100)
    with pytest.raises(ShardSetError, match=rf"{victim.name} \(listed in .*\) has {size - 100} "
                                            rf"bytes, expected {size}: .* re-run preprocess-01"):
        ShardSet.discover(root)


def test_flipped_bytes_fail_full_verification_only(multi_kernel_output):
    root, _, _ = multi_kernel_output
    victim = sorted((root / "preprocess-01").glob("train-*-x.npy"))[1]
    data = bytearray(victim.read_bytes())
    data[-50] ^= 0xFF
    victim.write_bytes(bytes(data))
    ShardSet.discover(root, verify="size")  # same size, same header: only a checksum sees it
    with pytest.raises(ShardSetError, match=rf"{victim.name} .* fails its checksum .* re-run "
                                            "preprocess-01"):
        ShardSet.discover(root, verify="full")


def test_missing_shard_file_is_named(multi_kernel_output):
    root, _, _ = multi_kernel_output
    victim = sorted((root / "notebooks").rglob("train-*-y.npy"))[0]
    victim.unlink()
    with pytest.raises(FileNotFoundError, match=rf"shard file .*{victim.name} .* is missing: the "
                                                "output of preprocess-00 is incomplete"):
        ShardSet.discover(root)


def test_a_file_of_the_right_size_and_another_shape_fails_its_header_check(multi_kernel_output):
    root, _, _ = multi_kernel_output
    victim = sorted((root / "preprocess-01").glob("train-*-x.npy"))[0]
    shape, dtype, offset = read_header(victim)
    flat = (shape[0], 28 * 28)  # the same bytes, described as flat rows
    with open(victim, "r+b") as fh:
        fh.write(header_bytes(flat, dtype, offset))
    assert read_header(victim) == (flat, dtype, offset)
    with pytest.raises(ShardSetError, match=rf"{victim.name} \(listed in .*\) holds shape "
                                            rf"\({shape[0]}, 784\) uint8, the manifest says "
                                            rf"\({shape[0]}, 28, 28, 1\) uint8; re-run "
                                            "preprocess-01"):
        ShardSet.discover(root)


def test_malformed_manifest_is_named(multi_kernel_output):
    root, _, _ = multi_kernel_output
    path = root / "preprocess-01" / MANIFEST_NAME
    path.write_text(path.read_text()[:200])
    with pytest.raises(ValueError, match=rf"{path}: not valid JSON"):
        ShardSet.discover(root)


def test_manifest_from_a_newer_format_is_refused(multi_kernel_output):
    root, _, _ = multi_kernel_output
    path = root / "preprocess-01" / MANIFEST_NAME
    data = json.loads(path.read_text())
    data["format_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="format_version 99, this code reads versions 1, 2"):
        ShardSet.discover(root)


def test_a_version_1_manifest_reads_as_class_targets_of_a_label_task(multi_kernel_output):
    root, _, _ = multi_kernel_output
    for path in root.rglob(MANIFEST_NAME):  # as release 0.1 wrote them
        data = json.loads(path.read_text())
        data["format_version"] = 1
        del data["spec"]["targets"], data["spec"]["task"]
        path.write_text(json.dumps(data))
    shards = ShardSet.discover(root)
    assert (shards.spec.targets, shards.spec.task) == ("class", "label")
    assert shards.split("train").labels().shape == (600,)


def test_targets_that_differ_from_the_data_set_are_refused(multi_kernel_output):
    root, _, _ = multi_kernel_output
    path = root / "preprocess-01" / MANIFEST_NAME
    data = json.loads(path.read_text())
    data["spec"]["targets"] = "value"
    path.write_text(json.dumps(data))
    with pytest.raises(ShardSetError, match=r"targets is \('value', 'label'\) in the first"):
        ShardSet.discover(root)
    for path in root.rglob(MANIFEST_NAME):  # all agree, but the y files hold uint8 classes
        data = json.loads(path.read_text())
        data["spec"]["targets"] = "value"
        path.write_text(json.dumps(data))
    with pytest.raises(ShardSetError, match=r"y.npy as \(\d+,\) uint8, but its data set stores "
                                            r"value as \(n, \) float32"):
        ShardSet.discover(root)


def test_inconsistent_sample_count_is_refused(multi_kernel_output):
    root, _, _ = multi_kernel_output
    path = root / "preprocess-01" / MANIFEST_NAME
    data = json.loads(path.read_text())
    data["shards"][0]["count"] -= 1
    path.write_text(json.dumps(data))
    with pytest.raises(CoverageError, match="holds 9 samples, expected 10"):
        ShardSet.discover(root)
