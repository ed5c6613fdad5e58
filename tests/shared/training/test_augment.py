"""On-the-fly augmentation: reproducible, shape-preserving, picklable."""

import pickle

import numpy as np

from shared.training.augment import flip_shift, make_augment, max_shift_for


def batch(n=16, h=10, w=12, c=2):
    return np.random.default_rng(1).random((n, h, w, c), np.float32)


def test_same_rng_seed_gives_the_same_batch_and_another_seed_another():
    x = batch()
    f = make_augment("flip_shift", x.shape[1:])
    a = f(x, np.random.default_rng(5))
    assert np.array_equal(a, f(x, np.random.default_rng(5)))
    assert not np.array_equal(a, f(x, np.random.default_rng(6)))
    assert a.shape == x.shape and a.dtype == x.dtype


def test_flip_alone_mirrors_each_sample_or_leaves_it():
    x = batch()
    out = flip_shift(x, np.random.default_rng(0), flip=True, max_shift=0)
    mirrored = [np.array_equal(o, s[:, ::-1]) for o, s in zip(out, x)]
    kept = [np.array_equal(o, s) for o, s in zip(out, x)]
    assert all(m or k for m, k in zip(mirrored, kept))
    assert any(mirrored) and any(kept)


def test_shift_moves_content_by_at_most_max_shift_pixels():
    x = np.zeros((50, 9, 9, 1), np.float32)
    x[:, 4, 4] = 1.0  # one bright pixel in the middle
    out = flip_shift(x, np.random.default_rng(0), flip=False, max_shift=2)
    rows, cols = np.nonzero(out[..., 0].max(axis=0))
    assert set(rows) <= set(range(2, 7)) and set(cols) <= set(range(2, 7))
    positions = {tuple(np.argwhere(o[..., 0])[0]) for o in out}
    assert len(positions) > 5  # samples move independently
    assert all(o.sum() == 1.0 for o in out)  # nothing duplicated or lost


def test_augment_function_pickles_for_worker_processes():
    f = make_augment("shift", (28, 28, 1))
    g = pickle.loads(pickle.dumps(f))
    x = batch(h=28, w=28, c=1)
    assert np.array_equal(f(x, np.random.default_rng(2)), g(x, np.random.default_rng(2)))


def test_flip_mode_only_mirrors():
    x = batch()
    out = make_augment("flip", x.shape[1:])(x, np.random.default_rng(3))
    assert all(np.array_equal(o, s) or np.array_equal(o, s[:, ::-1]) for o, s in zip(out, x))


def test_none_means_no_function_and_shift_scales_with_the_image():
    assert make_augment("none", (28, 28, 1)) is None
    assert max_shift_for(28, 28) == 2 and max_shift_for(224, 300) == 18 and max_shift_for(5, 5) == 1
