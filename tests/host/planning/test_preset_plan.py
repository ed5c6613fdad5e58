"""Planning with ``[train] model`` = a Kaggle Models preset: the local copy in kagglehub's cache
decides the stored size and the normalisation, the plan says what the backbone is, a missing
preset is refused with its download command, and the train kernels mount it."""

from __future__ import annotations

import json

import pytest

from competitions import image_folder
from host.bundle.build import build_kernels
from host.kaggle_api.kernel_set import KernelSet
from host.kaggle_api.metadata import MetadataError, MetadataRules, validate_kernels
from host.planning import make_plan
from host.planning.presets import CACHE_ENV
from host.settings import HostConfig
from kaggle_helpers import clean_env, run_push
from preset_fixtures import HANDLE, save_backbone

OTHER = "pipeline-tests/tiny/keras/tiny_resnet_48/1"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """kagglehub's cache (``KAGGLEHUB_CACHE``) with two tiny presets: 32 and 48 pixels."""
    root = tmp_path / "kagglehub"
    save_backbone(root, HANDLE, size=32)
    save_backbone(root, OTHER, size=48)
    monkeypatch.setenv(CACHE_ENV, str(root))
    return root


@pytest.fixture
def competition(tmp_path, fmnist):
    return image_folder(tmp_path / "data", fmnist, 40, 10)


def config_for(data, model=HANDLE, **sections):
    return HostConfig().replace(competition={"slug": "presets", "data_dir": str(data)},
                                train={"model": model, **sections.pop("train", {})},
                                **sections)


def test_the_preset_decides_the_stored_size_and_the_plan_says_what_it_is(cache, competition):
    plan = make_plan(config_for(competition))
    assert plan.layout.image_size == (32, 32) and plan.layout.channels == 1  # gray images
    table = plan.table()
    assert "40 train + 10 test rows, 32x32x1" in table
    assert (f"backbone ResNetBackbone ({plan.choices.preset.parameters:,} parameters; "
            f"keras_hub_cnn), input 32x32x3; weights: Kaggle Models {HANDLE}") in table
    assert f"note: images are stored at 32x32 for {HANDLE}: its image converter's" in table
    assert plan.trains[0].choices.preset == plan.choices.preset
    sized = make_plan(config_for(competition, source={"image_size": [40, 40]}))
    assert sized.layout.image_size == (40, 40)


def test_a_missing_preset_is_refused_with_the_command_that_downloads_it(cache, competition):
    handle = "keras/resnetv2/keras/resnet_v2_50_imagenet/2"
    with pytest.raises(FileNotFoundError) as refused:
        make_plan(config_for(competition, model=handle))
    message = str(refused.value)
    assert f"the preset {handle} ([train] model) is not downloaded: expected it in " \
           f"kagglehub's cache at {cache}/models/keras/resnetv2/keras/resnet_v2_50_imagenet/2" \
           in message
    assert ("python -c \"import kagglehub; print(kagglehub.model_download("
            f"'{handle}'))\"") in message


def test_a_download_without_its_completion_marker_is_incomplete(cache, competition):
    (cache / "models" / "pipeline-tests" / "tiny" / "keras" / "tiny_resnet" / "1.complete"
     ).unlink()
    with pytest.raises(FileNotFoundError, match=r"is incomplete \(no completion marker .*"
                       r"1.complete\)"):
        make_plan(config_for(competition))


def test_a_keras_hub_preset_name_resolves_to_its_handle(cache, competition):
    with pytest.raises(FileNotFoundError, match=r"the preset keras/efficientnet/keras/"
                       r"efficientnet_b0_ra_imagenet/\d+ \(\[train\] model\) is not downloaded"):
        make_plan(config_for(competition, model="efficientnet_b0_ra_imagenet"))
    with pytest.raises(ValueError, match=r"\[train\] model = 'resnet_5_imagenet': no model "
                       r"family, and no keras_hub preset of that name \(did you mean "
                       r".*resnet_50_imagenet"):
        make_plan(config_for(competition, model="resnet_5_imagenet"))


def fingerprints(config, out):
    built = build_kernels(make_plan(config), out, owner="me", config=config)
    return [k.fingerprint for k in built.preprocess], [k.fingerprint for k in built.trains]


def test_another_input_size_reruns_preprocessing_and_the_same_size_only_training(
        cache, competition, tmp_path):
    base = fingerprints(config_for(competition), tmp_path / "a")
    other_size = fingerprints(config_for(competition, model=OTHER), tmp_path / "b")
    assert base[0] != other_size[0]  # the shards are stored at the model's input size
    random = fingerprints(config_for(competition, train={"weights": "random"}), tmp_path / "c")
    assert base[0] == random[0] and base[1] != random[1]


def test_every_train_kernel_mounts_the_preset_and_the_checks_hold_it(cache, competition,
                                                                     tmp_path):
    config = config_for(competition, train={"folds": 2})
    built = build_kernels(make_plan(config), tmp_path / "k", owner="me", config=config)
    for kernel in built.trains:
        assert kernel.metadata()["model_sources"] == [HANDLE] and kernel.models == (HANDLE,)
    assert all(not k.metadata()["model_sources"] for k in (*built.preprocess, built.blend))
    kernels = KernelSet.from_built(built)
    kernels.save(tmp_path / "k")
    assert KernelSet.load(tmp_path / "k").trains[0].models == (HANDLE,)
    rules = MetadataRules(owner="me", competition="presets", machine_shape="NvidiaTeslaT4")
    validate_kernels(kernels.preprocess, kernels.trains, rules, kernels.blend)
    meta = kernels.trains[1].metadata()
    meta["model_sources"] = []
    (kernels.trains[1].path / "kernel-metadata.json").write_text(json.dumps(meta))
    with pytest.raises(MetadataError, match=rf"kernel presets-train-fold-1: model_sources: "
                       rf"must list '{HANDLE}', the preset the kernel builds on"):
        validate_kernels(kernels.preprocess, kernels.trains, rules, kernels.blend)


def test_push_plan_reads_the_local_copy_and_shows_what_the_train_kernel_mounts(
        cache, competition, tmp_path):
    config = tmp_path / "pipeline.toml"
    config.write_text(f'[competition]\nslug = "presets"\ndata_dir = "{competition}"\n'
                      f'[train]\nmodel = "{HANDLE}"\n[kaggle]\nowner = "alice"\n')
    env = clean_env(tmp_path / "home", **{CACHE_ENV: str(cache)})
    result = run_push(["--config", str(config), "--build-dir", str(tmp_path / "k"), "--plan"],
                      cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert f"competition presets, model {HANDLE}, 1 kernel output(s)" in result.stdout
    assert "backbone ResNetBackbone (" in result.stdout and "input 32x32x3" in result.stdout
    assert "every kernel passes the checks" in result.stdout
    missing = run_push(["--config", str(config), "--build-dir", str(tmp_path / "k"), "--plan"],
                       cwd=tmp_path, env=clean_env(tmp_path / "home2",
                                                   **{CACHE_ENV: str(tmp_path / "empty")}))
    assert missing.returncode == 2 and "is not downloaded" in missing.stderr
    assert f"kagglehub.model_download('{HANDLE}')" in missing.stderr
