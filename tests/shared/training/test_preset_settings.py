"""What a Kaggle Models preset means for one plan (``choose_preset``), decided without Keras:
the input size, the normalisation, the fine-tuning, and what is refused before any kernel."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from shared.assignment import TrainChoices, dump_assignment, load_assignment
from shared.config import PipelineConfig
from shared.models.presets import PresetFacts
from shared.tasks.label import LabelTask
from shared.training.preset_settings import choose_preset
from shared.training.settings import check_train_settings, choose_training
from train_fixtures import make_assignment

HANDLE = "keras/efficientnet/keras/efficientnet_b0_ra_imagenet/2"
TASK = LabelTask(classes=tuple(range(10)), value_columns=("label",))
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
CNN = PresetFacts(backbone="EfficientNetBackbone", input_shape=(None, None, 3),
                  parameters=4_049_564, converter=True, image_size=(224, 224),
                  scale=tuple(1 / (255 * s) for s in STD),
                  offset=tuple(-m / s for m, s in zip(MEAN, STD)))
VIT = PresetFacts(backbone="ViTBackbone", input_shape=(224, 224, 3), parameters=85_798_656,
                  converter=True, image_size=(224, 224), scale=(1 / 127.5,), offset=(-1.0,))


def choose(facts=CNN, **sections):
    config = PipelineConfig().replace(train={"model": HANDLE, **sections.pop("train", {})},
                                      **sections)
    return choose_preset(config, HANDLE, facts)


def test_the_converters_scale_and_offset_become_the_mean_and_std_of_the_plan():
    preset = choose()
    np.testing.assert_allclose(preset.mean, MEAN, rtol=1e-6)
    np.testing.assert_allclose(preset.std, STD, rtol=1e-6)
    assert preset.normalization == "image_converter.json"
    vit = choose(VIT)  # x / 127.5 - 1: mean 0.5, std 0.5 on every channel
    np.testing.assert_allclose(vit.mean, (0.5,) * 3)
    np.testing.assert_allclose(vit.std, (0.5,) * 3)


def test_the_family_decides_pooling_rates_and_the_size_comes_from_the_converter():
    cnn, vit = choose(), choose(VIT)
    assert (cnn.family, cnn.pooling, cnn.image_size, cnn.fixed_size) == (
        "keras_hub_cnn", "avg", (224, 224), False)
    assert (vit.family, vit.pooling, vit.fixed_size) == ("keras_hub_vit", "class_token", True)
    assert cnn.fine_tune_rate == pytest.approx(1e-4) and vit.fine_tune_rate == pytest.approx(5e-5)
    assert cnn.weight_decay == 0.01 and vit.weight_decay == 0.05
    assert cnn.head_epochs == 1 and cnn.freeze_batchnorm and cnn.pretrained
    assert choose(train={"learning_rate": 0.01}).fine_tune_rate == pytest.approx(1e-3)


def test_image_size_is_the_sources_when_set_and_224_when_nothing_says():
    assert choose(source={"image_size": [96, 128]}).image_size == (96, 128)
    bare = PresetFacts(backbone="ResNetBackbone", input_shape=(None, None, 3), converter=True)
    assert choose(bare).image_size == (224, 224)


def test_a_backbone_of_one_size_refuses_another():
    with pytest.raises(ValueError, match=r"\[source\] image_size = \[96, 96\], but the backbone "
                       r"ViTBackbone of .* takes 224x224 images only \(config.json\): remove "
                       r"\[source\] image_size"):
        choose(VIT, source={"image_size": [96, 96]})


def test_a_preset_without_a_converter_needs_the_normalisation_named():
    bare = PresetFacts(backbone="ResNetBackbone", input_shape=(None, None, 3))
    with pytest.raises(ValueError, match=r"has no image_converter.json, so the normalisation "
                       r"its weights were trained with is unknown: set \[loader\] mean and std "
                       r"to it \(ImageNet's: mean = \[0.485, 0.456, 0.406\]"):
        choose(bare)
    named = choose(bare, loader={"mean": list(MEAN), "std": list(STD)})
    assert named.mean == MEAN and named.normalization == "[loader] mean and std"


@pytest.mark.parametrize("sections, message", [
    ({"loader": {"mean": [0.5], "std": [0.5]}},
     r"\[loader\] mean and std are set, but the preset .* carries its own normalisation"),
    ({"loader": {"output": "float32"}},
     r'\[loader\] output = "float32" with \[train\] model = .*set \[loader\] output = "uint8"'),
    ({"train": {"head_epochs": 3, "epochs": 3}},
     r"\[train\] head_epochs = 3 with epochs = 3: the backbone would never be fine-tuned"),
])
def test_settings_that_cannot_work_with_a_preset_are_refused(sections, message):
    with pytest.raises(ValueError, match=message):
        choose(**sections)


def test_one_epoch_fine_tunes_every_layer_at_once_and_random_weights_train_from_scratch():
    assert choose(train={"epochs": 1}).head_epochs == 0
    scratch = choose(train={"weights": "random", "learning_rate": 0.002})
    assert (scratch.head_epochs, scratch.freeze_batchnorm, scratch.pretrained) == (0, False,
                                                                                  False)
    assert scratch.fine_tune_rate == pytest.approx(0.002)
    assert "random initialisation ([train] weights)" in scratch.describe()


@pytest.mark.parametrize("train, message", [
    ({"model": "article", "head_epochs": 2},
     r"\[train\] head_epochs = 2 applies to a Kaggle Models preset; model = 'article' is "
     r"trained from scratch"),
    ({"model": "better", "weights": "random"}, r"\[train\] weights = 'random' applies to"),
    ({"model": "keras_hub_cnn"},
     r"\[train\] model = 'keras_hub_cnn' is the pretrained family .* name one of its presets"),
])
def test_preset_settings_without_a_preset_are_refused_when_the_file_is_read(train, message):
    with pytest.raises(ValueError, match=message):
        check_train_settings(PipelineConfig().replace(train=train))


def test_a_handle_cannot_be_trained_without_the_planner_reading_its_preset():
    config = PipelineConfig().replace(train={"model": HANDLE})
    with pytest.raises(ValueError, match=r"names a Kaggle Models preset: the planner .*reads "
                       r"its local copy first"):
        choose_training(config, TASK)


def test_the_preset_travels_whole_in_the_train_kernels_assignment():
    config = PipelineConfig().replace(train={"model": HANDLE})
    choices = choose_training(config, TASK, preset=choose_preset(config, HANDLE, CNN))
    assert choices.model == HANDLE and choices.augment == "flip"
    assert TrainChoices.from_dict(choices.to_dict()) == choices
    assignment = make_assignment()
    baked = dataclasses.replace(assignment, choices=choices)
    assert load_assignment(dump_assignment(baked)).choices == choices
    lines = choices.describe().splitlines()
    assert lines[1].startswith("backbone EfficientNetBackbone (4,049,564 parameters; "
                               "keras_hub_cnn), input 224x224x3; weights: Kaggle Models "
                               f"{HANDLE}")
