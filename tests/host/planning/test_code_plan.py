"""Planning a code competition: the train rows alone, an inference kernel, a train-side
fingerprint; and what stays refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from competitions import image_folder, pixel_csv
from dry_run_cli import dry_run
from host.planning import make_plan
from host.settings import HostConfig
from shared.assignment import dump_assignment, load_assignment


def config_for(root: Path, submission: str = "code", **sections) -> HostConfig:
    base = {"competition": {"slug": "cc", "data_dir": str(root), "submission": submission}}
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    return HostConfig().replace(**base)


@pytest.fixture
def comp(tmp_path, fmnist) -> Path:
    return image_folder(tmp_path / "comp", fmnist, 60, 20)


def test_a_code_plan_shards_the_train_rows_and_gains_an_inference_kernel(comp):
    plan = make_plan(config_for(comp))
    assert plan.spec.split_rows == {"train": 60} and plan.layout.test_at_inference
    assert plan.layout.test_dir == "test"
    assert plan.infer.kernel == "cc-infer" and plan.infer.sources == ("cc-train",)
    assert plan.final is plan.infer
    assert all(r.split == "train" for a in plan.preprocess for r in a.ranges)
    table = plan.table()
    assert ("code competition: the preprocessing kernels shard the 60 train rows only; "
            "cc-infer decodes the test images sample_submission.csv lists when it runs (in "
            "test/): the public run predicts its 20 placeholder row(s), Kaggle's scoring rerun "
            "every hidden row") in table
    assert "then cc-infer (submitted) predicts the test images with the model(s) of cc-train" \
        in table
    assert load_assignment(dump_assignment(plan.infer)) == plan.infer


def test_folds_give_the_inference_kernel_every_fold_and_the_blend(comp):
    plan = make_plan(config_for(comp, train={"folds": 3}))
    assert plan.infer.sources == ("cc-train-fold-0", "cc-train-fold-1", "cc-train-fold-2",
                                  "cc-blend")


def test_a_header_only_sample_is_accepted_for_code_and_its_test_folder_found(comp):
    (comp / "sample_submission.csv").write_text("id,label\n")
    plan = make_plan(config_for(comp))
    assert plan.layout.test_dir == "test"
    assert "the public run predicts no row (the public sample holds only its header)" in \
        plan.table()


def test_the_fingerprint_covers_the_train_side_alone(comp):
    before = make_plan(config_for(comp)).source_fingerprint
    sample = pd.read_csv(comp / "sample_submission.csv", dtype=str)
    sample.iloc[:5].to_csv(comp / "sample_submission.csv", index=False)  # a hidden sample
    assert make_plan(config_for(comp)).source_fingerprint == before
    labels = pd.read_csv(comp / "train.csv", dtype=str)
    labels.iloc[:50].to_csv(comp / "train.csv", index=False)
    assert make_plan(config_for(comp)).source_fingerprint != before


def test_a_code_competition_without_a_test_folder_is_refused(tmp_path, fmnist):
    comp = image_folder(tmp_path / "comp", fmnist, 60, 20, test_dir="holdout")
    (comp / "sample_submission.csv").write_text("id,label\n")
    with pytest.raises(ValueError, match=r"sample_submission.csv lists no test ids and .* holds "
                                         r"no folder named like a test folder \(test, "
                                         r"test_images.*Keep the competition's test folder"):
        make_plan(config_for(comp))


def test_a_pixel_csv_code_competition_is_refused(tmp_path, fmnist):
    comp = pixel_csv(tmp_path / "comp", fmnist)
    with pytest.raises(ValueError, match=r'submission = "code" with a pixel_csv layout: the '
                                         r"inference kernel decodes test images from a folder"):
        make_plan(config_for(comp))


def test_top_k_needs_a_placeholder_row_for_its_k(tmp_path, fmnist):
    comp = image_folder(tmp_path / "comp", fmnist, 60, 20)
    (comp / "sample_submission.csv").write_text("id,label\n")
    with pytest.raises(ValueError, match=r"task = top-k takes k, the labels per submission "
                                         r"row, from the sample's values, and the sample has no "
                                         r"rows"):
        make_plan(config_for(comp, competition={"task": "top-k"}))


def test_a_refused_code_plan_runs_no_kernel(tmp_path, fmnist):
    comp = pixel_csv(tmp_path / "comp", fmnist)
    status, _, err = dry_run(tmp_path, comp, competition='submission = "code"')
    assert status == 1 and 'submission = "code" with a pixel_csv layout' in err
    assert not (tmp_path / "work" / "kaggle").exists()


# -- shapes out of reach: recognised and refused before planning ---------------------------------
@pytest.mark.parametrize("make, words", [
    (lambda c: (c / "kaggle_evaluation").mkdir(), r"holds kaggle_evaluation/: this competition is "
                                                  r"scored through Kaggle's evaluation API"),
    (lambda c: (c / "test-image.hdf5").write_bytes(b"\x89HDF"),
     r"ships its images inside HDF5 files \(test-image.hdf5\), as ISIC 2024 does"),
    (lambda c: (c / "masks.csv").write_text("id,EncodedPixels\na,1 3 10 5\n"),
     r"masks.csv has the column 'EncodedPixels': a segmentation competition"),
])
def test_shapes_out_of_scope_are_refused_with_their_evidence(comp, make, words):
    make(comp)
    with pytest.raises(ValueError, match=words + r".*out of its scope"):
        make_plan(config_for(comp, submission="csv"))


def test_run_length_labels_are_refused_but_small_tags_are_not(comp):
    labels = pd.read_csv(comp / "train.csv", dtype=str)
    labels["label"] = [f"{1000 + 7 * i} 3 {2000 + i} 5" for i in range(len(labels))]
    labels.to_csv(comp / "train.csv", index=False)
    with pytest.raises(ValueError, match=r"train.csv: column 'label' holds run-length encoded "
                                         r"masks \(e.g. '1000 3 2000 5'\): a segmentation"):
        make_plan(config_for(comp, submission="csv"))
    labels["label"] = [f"{i % 4} {i // 4 % 4 + 4}" for i in range(len(labels))]  # 8 tags
    labels.to_csv(comp / "train.csv", index=False)
    assert make_plan(config_for(comp, submission="csv")).layout.task == "multi-label"


def test_the_inference_kernel_runs_on_a_gpu_or_the_cpu_whatever_the_training_ran_on(comp,
                                                                                  tmp_path):
    from host.bundle.build import build_kernels

    tpu = config_for(comp, kaggle={"machine_shape": "TpuV5E8"})
    plan = make_plan(tpu)
    assert plan.trains[0].choices.backend == "jax" and plan.infer.choices.backend == "tensorflow"
    built = build_kernels(plan, tmp_path / "k", owner="me", config=tpu)
    meta = built.infer.metadata()
    assert (meta["machine_shape"], meta["enable_gpu"], meta["enable_tpu"]) == \
        ("NvidiaTeslaT4", True, False)
    assert built.trains[0].metadata()["enable_tpu"] is True
    cpu = config_for(comp, kaggle={"infer_accelerator": "cpu"})
    meta = build_kernels(make_plan(cpu), tmp_path / "c", owner="me", config=cpu).infer.metadata()
    assert "machine_shape" not in meta and not meta["enable_gpu"] and not meta["enable_tpu"]
