from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from competitions import CLASS_NAMES, image_folder, pixel_csv, save_image, submission_id, train_id
from host.settings import HostConfig
from host.planning import make_plan
from shared.preprocess import PREVIEW_NAME, run_preprocess
from shared.sources import source_fingerprint
from shared.store import MANIFEST_NAME, Manifest, ShardSet


def _config(**sections):
    base = dict(competition={"slug": "fmnist-comp"}, store={"shard_bytes": 8_000},
                plan={"kernel_budget": 60_000, "decode_workers": 2},
                loader={"validation_fraction": 0.0})  # a tiny set: a stratified hold-out would keep no row
    for name, values in sections.items():
        base[name] = {**base.get(name, {}), **values}
    return HostConfig().replace(**base)


def _run_all(plan, comp, mounted, **kw):
    """Every planned kernel, each into its own folder, mounted in Kaggle's two layouts."""
    summaries = []
    for k, assignment in enumerate(plan.preprocess):
        where = (mounted / "notebooks" / "alice" if k % 2 else mounted) / assignment.kernel
        summaries.append(run_preprocess(assignment, comp, where, progress=False, **kw))
    return summaries


def _pixels(index):
    return np.concatenate([np.load(s.x) for s in index.shards])


@pytest.mark.slow
@pytest.mark.parametrize("build", [image_folder, pixel_csv])
def test_planned_kernels_produce_a_complete_valid_shard_set(tmp_path, fmnist, build):
    comp = build(tmp_path / "comp", fmnist, 120, 30)
    plan = make_plan(_config(), comp)
    assert len(plan.preprocess) >= 3
    _run_all(plan, comp, tmp_path / "input")
    shards = ShardSet.discover(tmp_path / "input", verify="full")
    train, test = shards.split("train"), shards.split("test")
    np.testing.assert_array_equal(_pixels(train), fmnist["x_train"][:120])
    np.testing.assert_array_equal(_pixels(test), fmnist["x_test"][:30])
    labels = [shards.classes[k] for k in train.labels()]
    expected = fmnist["y_train"][:120]
    if build is image_folder:  # string labels map back to the original names
        assert labels == [CLASS_NAMES[k] for k in expected]
        assert test.ids().tolist() == [submission_id(i) for i in range(30)]
    else:
        assert labels == expected.tolist()
        assert test.ids().tolist() == [str(i) for i in range(1, 31)]  # ImageId order
    assert shards.spec.label_column == ("label" if build is image_folder else "Label")


def test_rgba_palette_and_16_bit_images_decode_to_the_same_pixels(tmp_path, fmnist):
    comp = image_folder(tmp_path / "comp", fmnist, 40, 8, modes=("L", "RGBA", "P", "I;16", "LA"))
    plan = make_plan(_config(plan={"kernel_budget": 10**6}), comp)
    _run_all(plan, comp, tmp_path / "out")
    shards = ShardSet.discover(tmp_path / "out")
    np.testing.assert_array_equal(_pixels(shards.split("train")), fmnist["x_train"][:40])


def test_jpegs_are_resized_like_plain_pillow_in_row_order(tmp_path, fmnist):
    comp = image_folder(tmp_path / "comp", fmnist, 30, 6, ext=".jpg", modes=("RGB",))
    config = _config(source={"image_size": [16, 12], "channels": 3})
    plan = make_plan(config, comp)
    _run_all(plan, comp, tmp_path / "out")
    index = ShardSet.discover(tmp_path / "out").split("train")
    expected = [np.asarray(Image.open(comp / "train" / f"{train_id(i)}.jpg").convert("RGB")
                           .resize((12, 16), Image.Resampling.BILINEAR)) for i in range(30)]
    np.testing.assert_array_equal(_pixels(index), np.stack(expected))


def _damage(comp):
    """Row 5: truncated, row 9: not an image, row 14: missing."""
    path = comp / "train" / f"{train_id(5)}.png"
    path.write_bytes(path.read_bytes()[:100])
    (comp / "train" / f"{train_id(9)}.png").write_text("no pixels here")
    (comp / "train" / f"{train_id(14)}.png").unlink()


def test_bad_images_are_rejected_and_listed(tmp_path, fmnist):
    comp = image_folder(tmp_path / "comp", fmnist, 40, 8)
    plan = make_plan(_config(), comp)
    _damage(comp)
    summaries = _run_all(plan, comp, tmp_path / "out")
    assert sum(len(s.rejects) for s in summaries) == 3
    shards = ShardSet.discover(tmp_path / "out", verify="full")
    reasons = {r.row: (r.id, r.reason) for r in shards.rejects}
    assert reasons[5][0] == train_id(5) and reasons[5][1].startswith("truncated image")
    assert reasons[9] == (train_id(9), "unreadable image: not a format Pillow recognises")
    assert reasons[14][0] == train_id(14) and reasons[14][1].startswith("missing image: no file")
    index = shards.split("train")
    keep = np.setdiff1d(np.arange(40), [5, 9, 14])
    np.testing.assert_array_equal(index.source_rows(), keep)
    np.testing.assert_array_equal(_pixels(index), fmnist["x_train"][keep])
    assert [shards.classes[k] for k in index.labels()] == \
        [CLASS_NAMES[k] for k in fmnist["y_train"][keep]]
    assert "rejected train row 5 (id 'img0005'): truncated image" in str(summaries[0])


def test_a_bad_pixel_row_is_rejected(tmp_path, fmnist):
    comp = pixel_csv(tmp_path / "comp", fmnist, 30, 5)
    plan = make_plan(_config(plan={"kernel_budget": 10**6}), comp)
    table = pd.read_csv(comp / "test.csv")
    table.loc[2, "pixel7"] = None
    table.to_csv(comp / "test.csv", index=False)
    (assignment,) = plan.preprocess
    assignment = replace(assignment, source_fingerprint=source_fingerprint(plan.layout, comp))
    summary = run_preprocess(assignment, comp, tmp_path / "out", progress=False)
    assert [(r.split, r.row, r.id) for r in summary.rejects] == [("test", 2, "3")]
    assert summary.rejects[0].reason.startswith("bad pixel row")


@pytest.mark.parametrize("strict", [False, True])
def test_a_pixel_that_is_not_a_number_is_a_bad_pixel_row(tmp_path, fmnist, strict):
    comp = pixel_csv(tmp_path / "comp", fmnist, 30, 5)
    table = pd.read_csv(comp / "test.csv", dtype=str)
    table.loc[3, "pixel100"] = "12a"
    table.to_csv(comp / "test.csv", index=False)
    plan = make_plan(_config(source={"strict": strict}, plan={"kernel_budget": 10**6}), comp)
    (assignment,) = plan.preprocess
    if strict:
        with pytest.raises(ValueError, match=r"test row 3 \(id '4'\): bad pixel row: a value "
                                             r"is missing, not a number"):
            run_preprocess(assignment, comp, tmp_path / "out", progress=False)
        return
    summary = run_preprocess(assignment, comp, tmp_path / "out", progress=False)
    assert [(r.split, r.row, r.id) for r in summary.rejects] == [("test", 3, "4")]
    test = ShardSet.discover(tmp_path / "out").split("test")
    np.testing.assert_array_equal(_pixels(test), fmnist["x_test"][[0, 1, 2, 4]])


def test_strict_mode_stops_at_the_first_bad_image_and_a_rerun_resumes(tmp_path, fmnist):
    comp = image_folder(tmp_path / "comp", fmnist, 60, 5)
    plan = make_plan(_config(source={"strict": True}, plan={"kernel_budget": 10**6}), comp)
    (assignment,) = plan.preprocess
    good = (comp / "train" / f"{train_id(37)}.png").read_bytes()
    (comp / "train" / f"{train_id(37)}.png").write_bytes(good[:90])
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=r"train row 37 \(id 'img0037'\): truncated image.* "
                                         r"\[source\] strict = true stops at the first bad image"):
        run_preprocess(assignment, comp, out, progress=False)
    assert not (out / MANIFEST_NAME).exists() and not list(out.glob(".*.tmp"))
    finished = {p.name: p.stat().st_mtime_ns for p in out.glob("*.npy")}
    assert len(finished) == 2 * 3  # 3 shards of 10 rows (x and y) before row 37's shard

    (comp / "train" / f"{train_id(37)}.png").write_bytes(good)  # the user fixes the image
    summary = run_preprocess(assignment, comp, out, progress=False)
    assert summary.decoded == 60 + 5 - 30 and summary.rejects == ()
    assert {n: (out / n).stat().st_mtime_ns for n in finished} == finished
    np.testing.assert_array_equal(_pixels(ShardSet.discover(out, verify="full").split("train")),
                                  fmnist["x_train"][:60])


def test_a_finished_output_is_left_alone(tmp_path, fmnist):
    comp = image_folder(tmp_path / "input" / "competitions" / "fmnist-comp", fmnist, 20, 4)
    (assignment,) = make_plan(_config(plan={"kernel_budget": 10**6}), comp).preprocess
    assignment = replace(assignment, bundle_fingerprint="bundle-123")
    run_preprocess(assignment, comp, tmp_path / "out", progress=False)
    manifest = Manifest.load(tmp_path / "out" / MANIFEST_NAME)
    assert manifest.bundle_fingerprint == "bundle-123" and manifest.producer == assignment.kernel
    before = (tmp_path / "out" / MANIFEST_NAME).stat().st_mtime_ns
    # given the input root, the competition folder is found below it
    again = run_preprocess(assignment, tmp_path / "input", tmp_path / "out", progress=False)
    assert again.decoded == 0 and again.samples == 24
    assert (tmp_path / "out" / MANIFEST_NAME).stat().st_mtime_ns == before


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.loc.__setitem__((6, "id"), train_id(2)), "id 'img0002' appears 2 times"),
    (lambda t: t.loc.__setitem__((3, "label"), ""), "1 rows have no label in column 'label'"),
    (lambda t: t.loc.__setitem__((4, "label"), "zebra"), "label 'zebra' .* not in the planned"),
])
def test_bad_rows_fail_before_any_shard_is_written(tmp_path, fmnist, edit, message):
    """A hand-made assignment whose fingerprint matches bad data still stops before writing."""
    comp = image_folder(tmp_path / "comp", fmnist, 20, 4)
    (assignment,) = make_plan(_config(plan={"kernel_budget": 10**6}), comp).preprocess
    table = pd.read_csv(comp / "train.csv", dtype=str, keep_default_na=False)
    edit(table)
    table.to_csv(comp / "train.csv", index=False)
    assignment = replace(assignment, source_fingerprint=source_fingerprint(assignment.source,
                                                                           comp))
    with pytest.raises(ValueError, match=message):
        run_preprocess(assignment, comp, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_data_changed_since_planning_is_refused(tmp_path, fmnist):
    comp = image_folder(tmp_path / "comp", fmnist, 20, 4)
    (assignment,) = make_plan(_config(plan={"kernel_budget": 10**6}), comp).preprocess
    pd.DataFrame({"id": [submission_id(i) for i in range(3)], "label": "bag"}).to_csv(
        comp / "sample_submission.csv", index=False)
    with pytest.raises(ValueError, match="differs from the data the plan was made from"):
        run_preprocess(assignment, comp, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_one_or_two_workers_write_identical_shards(tmp_path, fmnist):
    comp = image_folder(tmp_path / "comp", fmnist, 50, 10, ext=".jpg", modes=("RGB", "L"))
    (assignment,) = make_plan(_config(plan={"kernel_budget": 10**6}), comp).preprocess
    outs = [tmp_path / f"w{n}" for n in (1, 2)]
    for n, out in zip((1, 2), outs):
        run_preprocess(assignment, comp, out, workers=n, progress=False)
    first, second = (Manifest.load(o / MANIFEST_NAME) for o in outs)
    assert [f.sha256 for s in first.shards for f in s.files.values()] == \
        [f.sha256 for s in second.shards for f in s.files.values()]


def test_the_preview_shows_the_first_images(tmp_path, fmnist):
    comp = image_folder(tmp_path / "comp", fmnist, 40, 4)
    (assignment,) = make_plan(_config(plan={"kernel_budget": 10**6}), comp).preprocess
    summary = run_preprocess(assignment, comp, tmp_path / "out", progress=False)
    assert summary.preview == tmp_path / "out" / PREVIEW_NAME
    with Image.open(summary.preview) as img:
        assert img.format == "PNG" and img.size == (8 * 96, 16 + 4 * (96 + 14))  # 32 tiles


def test_progress_and_summary_are_printed(tmp_path, fmnist, capsys):
    comp = image_folder(tmp_path / "comp", fmnist, 20, 4)
    save_image(comp / "train" / f"{train_id(3)}.png", fmnist["x_train"][3], "RGB")
    (comp / "train" / f"{train_id(4)}.png").unlink()
    (assignment,) = make_plan(_config(plan={"kernel_budget": 10**6}), comp).preprocess
    run_preprocess(assignment, comp, tmp_path / "out")
    out, err = capsys.readouterr()
    assert "img/s" in err and "fmnist-comp-preprocess-00" in err
    assert out.startswith("fmnist-comp-preprocess-00: 23 of 24 rows written, 1 rejected, ")
    assert "images/s" in out and "rejected train row 4 (id 'img0004'): missing image" in out
