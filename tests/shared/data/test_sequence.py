import pickle

import numpy as np
import pytest

from shard_fixtures import make_spec, write_output
from shared.data import Normalization, ShuffleOptions, WorkerOptions, holdout
from shared.data.sequence import ShardedSequence
from shared.store import RowRange, ShardSet

MODES = ["none", "block", "full"]


@pytest.fixture(scope="module")
def shards(tmp_path_factory, fmnist):
    """600 real images over 24 shard files written by two kernels, plus 100 test images."""
    root = tmp_path_factory.mktemp("input")
    spec = make_spec(600, 100)
    write_output(root / "k0", spec, [RowRange("train", 0, 250)], fmnist, shard_bytes=20_000,
                 producer="k0")
    write_output(root / "k1", spec, [RowRange("train", 250, 600), RowRange("test", 0, 100)],
                 fmnist, shard_bytes=20_000, producer="k1")
    return ShardSet.discover(root)


def seq(shards, *, shuffle="none", seed=0, block_rows=40, window_blocks=3, workers=1,
        use_multiprocessing=False, **kw):
    """The train split's sequence, 32 per batch, blocks of 40 rows mixed 3 at a time."""
    return ShardedSequence(
        shards.split("train"), **{"batch_size": 32, **kw},
        shuffle=ShuffleOptions(mode=shuffle, seed=seed, block_rows=block_rows,
                               window_blocks=window_blocks),
        workers=WorkerOptions(workers=workers, use_multiprocessing=use_multiprocessing))


@pytest.mark.parametrize("mode", MODES)
def test_batches_hold_the_right_pixels_and_labels(shards, fmnist, mode):
    s = seq(shards, shuffle=mode, seed=3, repeat=True)
    for i in (0, 5, s.steps_per_epoch - 1, s.steps_per_epoch + 2):
        x, y = s[i]
        rows = s.batch_samples(i)
        np.testing.assert_allclose(x, fmnist["x_train"][rows] / 255.0, rtol=1e-6)
        np.testing.assert_array_equal(y, fmnist["y_train"][rows])
        assert x.dtype == np.float32 and y.dtype == np.int32


@pytest.mark.parametrize("mode", MODES)
def test_every_row_once_per_epoch(shards, mode):
    s = seq(shards, shuffle=mode, seed=1, repeat=True)
    for epoch in (0, 1):
        visited = s.epoch_samples(epoch)
        assert sorted(visited) == list(range(600))
    if mode != "none":
        assert not np.array_equal(s.epoch_samples(0), s.epoch_samples(1))


@pytest.mark.parametrize("mode", ["block", "full"])
def test_same_seed_same_batches_different_seed_different(shards, mode):
    a, b, c = (seq(shards, shuffle=mode, seed=s) for s in (7, 7, 8))
    for i in range(0, 40, 7):
        np.testing.assert_array_equal(a[i][0], b[i][0])
    assert not np.array_equal(a.epoch_samples(0), c.epoch_samples(0))


def test_block_shuffle_reads_contiguous_blocks_and_mixes_them(shards):
    s = seq(shards, shuffle="block", seed=0, block_rows=40, window_blocks=3, batch_size=40)
    order = s.epoch_samples(0)
    window = order[:120]
    assert sorted(np.unique(window // 40).tolist()) != [0, 1, 2]  # blocks come from anywhere
    for start in range(0, 600, 120):  # a window is three whole blocks
        blocks = np.unique(order[start:start + 120] // 40)
        assert len(blocks) <= 3
    assert not np.all(np.diff(order[:40]) == 1)  # rows are mixed inside a window


def test_drop_remainder_gives_fixed_batches(shards):
    s = seq(shards, shuffle="block", seed=0, batch_size=64, drop_remainder=True)
    assert s.steps_per_epoch == 9
    visited = s.epoch_samples(0)
    assert len(visited) == 576 and len(np.unique(visited)) == 576
    assert all(s[i][0].shape == (64, 28, 28, 1) for i in range(s.steps_per_epoch * 2))


def test_start_epoch_resumes_the_same_sequence(shards):
    full = seq(shards, shuffle="block", seed=5)
    resumed = seq(shards, shuffle="block", seed=5, start_epoch=2)
    steps = full.steps_per_epoch
    for i in range(3):
        np.testing.assert_array_equal(resumed[i][1], full[2 * steps + i][1])
    assert full.locate(2 * steps + 1) == (2, 1)


def test_finite_sequence_ends(shards):
    s = seq(shards, shuffle="none")
    assert s.num_batches == len(s) == 19
    with pytest.raises(IndexError, match="out of range for 19 batches"):
        s[19]
    assert seq(shards, shuffle="block").num_batches is None


def test_holdout_is_disjoint_complete_stratified_and_deterministic(shards):
    labels = shards.split("train").labels()
    train, val = holdout(600, 0.2, seed=4, labels=labels)
    assert len(np.intersect1d(train, val)) == 0
    assert sorted(np.concatenate([train, val])) == list(range(600))
    per_class = np.bincount(labels[val], minlength=10) / np.bincount(labels, minlength=10)
    assert np.all(np.abs(per_class - 0.2) < 0.05)
    again, _ = holdout(600, 0.2, seed=4, labels=labels)
    np.testing.assert_array_equal(train, again)
    other, _ = holdout(600, 0.2, seed=5, labels=labels)
    assert not np.array_equal(train, other)


def test_train_and_validation_sequences_never_share_a_row(shards):
    train_rows, val_rows = holdout(600, 0.1, seed=0, labels=shards.split("train").labels())
    train = seq(shards, rows=train_rows, shuffle="block", seed=0)
    val = seq(shards, rows=val_rows, shuffle="none")
    seen_train = train.epoch_samples(0)
    seen_val = val.epoch_samples(0)
    assert sorted(seen_train) == sorted(train_rows) and sorted(seen_val) == sorted(val_rows)
    assert len(np.intersect1d(seen_train, seen_val)) == 0


def test_normalisation_onehot_and_x_only(shards, fmnist):
    s = seq(shards, normalization=Normalization(mean=(0.3,), std=(0.5,)), labels="onehot",
            num_classes=10)
    x, y = s[0]
    np.testing.assert_allclose(x, (fmnist["x_train"][:32] / 255.0 - 0.3) / 0.5, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_array_equal(y.argmax(1), fmnist["y_train"][:32])
    test = ShardedSequence(shards.split("test"), batch_size=64, labels=None)
    assert [b.shape[0] for b in test] == [64, 36]


def test_augment_is_reproducible(shards):
    def flip(x, rng):
        return np.where(rng.random(len(x))[:, None, None, None] < 0.5, x[:, :, ::-1], x)

    a, b = (seq(shards, shuffle="block", seed=2, augment=flip) for _ in range(2))
    np.testing.assert_array_equal(a[3][0], b[3][0])


@pytest.mark.parametrize("kwargs, message", [
    (dict(batch_size=0), "batch_size = 0: expected a positive integer"),
    (dict(batch_size=601, drop_remainder=True), "600 samples make no batch of 601"),
    (dict(shuffle="random"), "shuffle = 'random': expected one of none, block, full"),
    (dict(labels="onehot"), "labels='onehot' needs num_classes"),
    (dict(rows=np.array([0, 600])), r"rows must be sample indices in \[0, 600\)"),
    (dict(rows=np.array([3, 3])), "contains an index twice"),
])
def test_bad_arguments_are_explained(shards, kwargs, message):
    with pytest.raises(ValueError, match=message):
        seq(shards, **kwargs)


def test_test_split_has_no_labels(shards):
    with pytest.raises(ValueError, match="the test split has no labels: pass labels=None"):
        ShardedSequence(shards.split("test"))


def test_pickle_carries_paths_not_pixels(shards):
    s = seq(shards, shuffle="block", seed=0)
    for i in range(s.steps_per_epoch):
        s[i]  # opens every map and fills the window buffers
    blob = pickle.dumps(s)
    assert len(blob) < 20_000  # 600 images are 470 KB
    clone = pickle.loads(blob)
    np.testing.assert_array_equal(clone[7][0], s[7][0])


@pytest.mark.parametrize("multiprocessing", [False, True])
def test_keras_workers_yield_the_in_process_batches(shards, multiprocessing):
    from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

    expected = [seq(shards, shuffle="block", seed=9)[i] for i in range(30)]
    parallel = seq(shards, shuffle="block", seed=9, workers=2,
                   use_multiprocessing=multiprocessing)
    adapter = PyDatasetAdapter(parallel, shuffle=False)
    got = []
    for _ in range(2):  # two epochs of 15 steps, the way fit drives it
        adapter.on_epoch_begin()
        iterator = adapter.get_numpy_iterator()
        got += [next(iterator) for _ in range(15)]
        adapter.on_epoch_end()
    for (x0, y0), (x1, y1) in zip(expected, got):
        np.testing.assert_array_equal(x0, x1)
        np.testing.assert_array_equal(y0, y1)


@pytest.mark.parametrize("window_blocks", [1, 2])
def test_keras_worker_threads_never_read_a_recycled_window(shards, window_blocks):
    """One-batch windows and four threads: windows are evicted while other threads read."""
    from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

    options = dict(shuffle="block", seed=11, batch_size=16, block_rows=16,
                   window_blocks=window_blocks)
    reference = seq(shards, **options)
    steps = reference.steps_per_epoch
    epochs = 10
    expected = [reference[i] for i in range(steps * epochs)]
    adapter = PyDatasetAdapter(seq(shards, workers=4, **options), shuffle=False)
    wrong = []
    for epoch in range(epochs):
        adapter.on_epoch_begin()
        iterator = adapter.get_numpy_iterator()
        for step in range(steps):
            x, y = next(iterator)
            x0, y0 = expected[epoch * steps + step]
            if not (np.array_equal(x, x0) and np.array_equal(y, y0)):
                wrong.append(epoch * steps + step)
        adapter.on_epoch_end()
    assert wrong == [], f"{len(wrong)} of {steps * epochs} batches differ from the reference"


def test_the_keywords_of_earlier_releases_still_work_with_a_warning(shards):
    with pytest.warns(DeprecationWarning, match="pass shuffle=ShuffleOptions"):
        old = ShardedSequence(shards.split("train"), batch_size=32, shuffle="block", seed=4,
                              block_rows=40, window_blocks=3, workers=2, max_queue_size=4)
    new = seq(shards, shuffle="block", seed=4)
    assert old.shuffle == new.shuffle and old.worker_options == WorkerOptions(2, False, 4)
    np.testing.assert_array_equal(old[5][0], new[5][0])
    with pytest.raises(TypeError, match="unexpected keyword argument.*seeds"):
        ShardedSequence(shards.split("train"), seeds=3)
