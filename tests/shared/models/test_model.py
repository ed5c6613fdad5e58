"""The built-in models: the article's exact layers, and both kinds on any HxWxC."""

import numpy as np
import pytest

from shared.models import build_model
from shared.models.better import better_blocks


def test_article_model_has_the_articles_layers():
    model = build_model("article", (28, 28, 1), 10)
    convs = [(l.filters, l.kernel_size, l.padding) for l in model.layers
             if type(l).__name__ == "Conv2D"]
    dense = [l.units for l in model.layers if type(l).__name__ == "Dense"]
    assert convs == [(20, (5, 5), "same"), (50, (5, 5), "same")]
    assert dense == [500, 10]
    assert sum(type(l).__name__ == "MaxPooling2D" for l in model.layers) == 2
    assert type(model.optimizer).__name__ == "Adam"
    assert model.loss == "sparse_categorical_crossentropy"


@pytest.mark.parametrize("kind", ["article", "better"])
@pytest.mark.parametrize("shape, classes", [((28, 28, 1), 10), ((20, 36, 3), 4), ((64, 64, 3), 2)])
def test_both_models_accept_any_image_shape_and_class_count(kind, shape, classes):
    model = build_model(kind, shape, classes, seed=0)
    probs = model.predict(np.random.default_rng(0).random((3, *shape), np.float32), verbose=0)
    assert probs.shape == (3, classes)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("side, blocks", [(28, 2), (32, 2), (64, 3), (224, 5), (8, 1), (2, 1)])
def test_better_model_pools_down_to_a_small_feature_map(side, blocks):
    assert better_blocks(side, side) == blocks


@pytest.mark.parametrize("kind, shape, classes, message", [
    ("article", (3, 28, 1), 10, r"height and width must be >= 4"),
    ("better", (28, 28), 10, r"expected \(height, width, channels\)"),
    ("article", (28, 28, 1), 1, r"at least 2 classes"),
    ("resnet", (28, 28, 1), 10, r"\[train\] model = 'resnet': no such model family; expected one of article, better"),
])
def test_bad_shapes_and_kinds_are_refused(kind, shape, classes, message):
    with pytest.raises(ValueError, match=message):
        build_model(kind, shape, classes)


def test_seed_fixes_the_initial_weights():
    a = build_model("better", (28, 28, 1), 10, seed=3).get_weights()
    b = build_model("better", (28, 28, 1), 10, seed=3).get_weights()
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
