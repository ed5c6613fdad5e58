"""Kaggle Models presets: handles, what a preset folder says, where a kernel finds it, and the
model a pretrained family builds on it (tiny keras_hub backbones, random weights)."""

from __future__ import annotations

import shutil

import keras
import numpy as np
import pytest

from preset_fixtures import BACKBONES, HANDLE, IMAGENET_OFFSET, IMAGENET_SCALE, mount, \
    save_backbone
from shared.config import PipelineConfig
from shared.models import model_names, model_spec, names_a_preset
from shared.models.handles import ModelHandle
from shared.models.presets import enable_preset_loading, find_preset, read_preset
from shared.tasks.label import LabelTask
from shared.training.fine_tune import build_fine_tune_model
from shared.training.preset_settings import choose_preset
from shared.training.settings import choose_training

TASK = LabelTask(classes=tuple(range(10)), value_columns=("label",))


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A kagglehub cache holding the tiny ResNet preset ``HANDLE``."""
    root = tmp_path_factory.mktemp("kagglehub")
    save_backbone(root, HANDLE, seed=7)  # not the seed the builder uses: weights differ
    return root


def folder_of(cache, handle=HANDLE):
    return cache.joinpath("models", *handle.split("/"))


def build(folder, shape=(32, 32, 3), handle=HANDLE, **train):
    config = PipelineConfig().replace(train={"model": handle, "epochs": 3, **train})
    preset = choose_preset(config, handle, read_preset(folder))
    choices = choose_training(config, TASK, preset=preset)
    return build_fine_tune_model(choices, shape, TASK, np.arange(10), folder=folder, seed=0,
                                 steps_per_epoch=2, epochs=3), choices


def first_conv(backbone):
    return next(w for w in backbone.weights if "conv" in w.path and w.path.endswith("kernel"))


def test_a_handle_has_exactly_five_parts_and_a_version_number():
    handle = ModelHandle.parse("keras/efficientnet/keras/efficientnet_b0_ra_imagenet/2")
    assert handle.mount_tail == ("efficientnet", "keras", "efficientnet_b0_ra_imagenet", "2")
    assert str(handle) == "keras/efficientnet/keras/efficientnet_b0_ra_imagenet/2"
    with pytest.raises(ValueError, match=r"\[train\] model = 'keras/efficientnet/keras/"
                       r"efficientnet_b0_ra_imagenet': expected a Kaggle Models handle owner/"
                       r"model/framework/variation/version"):
        ModelHandle.parse("keras/efficientnet/keras/efficientnet_b0_ra_imagenet")


def test_handles_and_preset_names_resolve_to_a_pretrained_family():
    assert model_spec(HANDLE).name == "keras_hub_cnn"  # the family for any other backbone
    assert model_spec(HANDLE, "DINOV2Backbone").name == "keras_hub_vit"
    assert names_a_preset("efficientnet_b0_ra_imagenet") and names_a_preset(HANDLE)
    assert not names_a_preset("article") and not names_a_preset("keras_hub_cnn")
    assert model_names() == ("article", "better")  # the families named directly
    with pytest.raises(ValueError, match=r"model = 'beter': no such model family; expected "
                       r"one of article, better; did you mean 'better'\?; or a Kaggle Models "
                       r"handle owner/model/framework/variation/version"):
        model_spec("beter")


def test_a_preset_folder_says_its_class_size_normalisation_and_parameters(cache):
    facts = read_preset(folder_of(cache))
    assert facts.backbone == "ResNetBackbone" and facts.fixed_size is None
    assert facts.channels == 3 and facts.converter and facts.image_size == (32, 32)
    np.testing.assert_allclose(facts.scale, IMAGENET_SCALE)
    np.testing.assert_allclose(facts.offset, IMAGENET_OFFSET)
    assert facts.parameters > 100_000 and facts.keras_hub_version


def test_an_incomplete_preset_folder_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match=r"is not a complete Keras preset: "
                       r"model.weights.h5 missing"):
        read_preset(tmp_path)


@pytest.mark.parametrize("depth", ["models", ""])
def test_a_kernel_finds_the_preset_at_either_mount_depth(cache, tmp_path, depth):
    where = mount(folder_of(cache), tmp_path / "input", depth=depth)
    (tmp_path / "input" / "competition" / "train").mkdir(parents=True)
    assert find_preset(HANDLE, tmp_path / "input") == where


def test_two_mounted_copies_or_none_are_refused(cache, tmp_path):
    root = tmp_path / "input"
    with pytest.raises(FileNotFoundError, match=r"the preset pipeline-tests/tiny/keras/"
                       r"tiny_resnet/1 is not mounted: no folder ending in tiny/keras/"
                       r"tiny_resnet/1 .*model_sources in kernel-metadata.json.*never "
                       r"download"):
        find_preset(HANDLE, root)
    mount(folder_of(cache), root, depth="models")
    copy = root / "elsewhere" / "tiny" / "keras" / "tiny_resnet" / "1"
    copy.parent.mkdir(parents=True)
    shutil.copytree(folder_of(cache), copy)
    with pytest.raises(ValueError, match=r"is mounted twice under .*attach it once"):
        find_preset(HANDLE, root)


@pytest.mark.parametrize("kind", BACKBONES)
def test_every_kind_of_backbone_builds_with_its_familys_pooling(tmp_path, kind):
    handle = f"pipeline-tests/{kind}/keras/tiny/1"
    folder = save_backbone(tmp_path, handle, kind=kind)
    model, choices = build(folder, (32, 32, 1), handle=handle)  # gray: repeated to 3
    vit = kind in ("vit", "deit", "dinov2")
    assert choices.preset.family == ("keras_hub_vit" if vit else "keras_hub_cnn")
    assert choices.preset.fixed_size == vit
    assert model.get_layer("class_token" if vit else "pool")
    assert model.get_layer("gray_to_rgb").output.shape == (None, 32, 32, 3)
    probs = model.predict(np.zeros((2, 32, 32, 1), np.uint8), verbose=0)
    assert probs.shape == (2, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_the_device_front_normalises_as_the_image_converter_does(cache):
    model, _ = build(folder_of(cache))
    front = keras.Model(model.inputs, model.get_layer("normalize").output)
    pixels = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype(np.uint8)
    expected = pixels * np.array(IMAGENET_SCALE) + np.array(IMAGENET_OFFSET)
    np.testing.assert_allclose(front.predict(pixels, verbose=0), expected, rtol=1e-4,
                               atol=1e-4)


def test_pretrained_weights_are_the_presets_and_random_ones_are_not(cache):
    reference = first_conv(enable_preset_loading().models.Backbone.from_preset(
        str(folder_of(cache)))).numpy()
    model, _ = build(folder_of(cache))
    np.testing.assert_array_equal(first_conv(model.get_layer("backbone").backbone).numpy(),
                                  reference)
    random_model, choices = build(folder_of(cache), weights="random")
    assert not np.allclose(first_conv(random_model.get_layer("backbone").backbone).numpy(),
                           reference)
    assert choices.preset.head_epochs == 0 and not choices.preset.freeze_batchnorm


def test_the_head_phase_leaves_the_backbone_and_its_statistics_as_they_were(cache, tmp_path):
    model, _ = build(folder_of(cache))
    backbone = model.get_layer("backbone").backbone
    before = [w.numpy().copy() for w in backbone.weights]
    assert len(model.trainable_weights) == 2  # the head's kernel and bias
    x = np.random.default_rng(1).integers(0, 256, (16, 32, 32, 3)).astype(np.uint8)
    model.fit(x, np.arange(16) % 10, batch_size=16, epochs=1, verbose=0)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, backbone.weights))
    model.save(tmp_path / "frozen.keras")  # read back frozen, the backbone stays frozen
    again = keras.models.load_model(tmp_path / "frozen.keras")
    assert not again.get_layer("backbone").trainable and len(again.trainable_weights) == 2


@pytest.mark.parametrize("freeze, moves", [(True, False), (False, True)])
def test_batch_norm_keeps_its_statistics_unless_told_otherwise(cache, freeze, moves):
    model, _ = build(folder_of(cache), (16, 16, 3), head_epochs=0, freeze_batchnorm=freeze)
    backbone = model.get_layer("backbone").backbone
    stats = [w for w in backbone.weights if "moving_mean" in w.path]
    before = [w.numpy().copy() for w in stats]
    x = np.random.default_rng(2).integers(0, 256, (8, 16, 16, 3)).astype(np.uint8)
    model.fit(x, np.arange(8), batch_size=8, epochs=1, verbose=0)
    changed = any(not np.allclose(a, w.numpy()) for a, w in zip(before, stats))
    assert changed == moves


def test_under_mixed_precision_the_backbone_computes_in_bfloat16(cache):
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        model, _ = build(folder_of(cache))
        assert model.get_layer("backbone").backbone.compute_dtype == "bfloat16"
        assert model.output.dtype == "float32"  # the head's activation
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
