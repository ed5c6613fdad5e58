"""ShardedSequence under a real ``model.fit``: epochs, prefetching and workers."""

import keras
import numpy as np
import pytest

from shard_fixtures import make_spec, write_output
from shared.data import ShuffleOptions, WorkerOptions
from shared.data.sequence import ShardedSequence
from shared.store import RowRange, ShardSet


@pytest.fixture(scope="module")
def train_index(tmp_path_factory, fmnist):
    root = tmp_path_factory.mktemp("fit")
    write_output(root, make_spec(600), [RowRange("train", 0, 600)], fmnist, shard_bytes=40_000)
    return ShardSet.discover(root).split("train")


class Recording(ShardedSequence):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = []

    def __getitem__(self, index):
        self.calls.append(int(index))
        return super().__getitem__(index)


def tiny_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(4, 3),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10)])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_fit_walks_consecutive_batches_so_each_epoch_sees_every_row(train_index):
    s = Recording(train_index, batch_size=50, shuffle=ShuffleOptions(mode="block"),
                  drop_remainder=True)
    tiny_model().fit(s, epochs=3, steps_per_epoch=s.steps_per_epoch, shuffle=False, verbose=0)
    steps = s.steps_per_epoch
    served = set(s.calls)
    assert set(range(3 * steps)) <= served  # every batch of every epoch was asked for
    assert max(served) < 3 * steps + 16  # at most a prefetch beyond the last epoch
    for epoch in range(3):
        rows = np.concatenate([s.batch_samples(i) for i in range(epoch * steps,
                                                                 (epoch + 1) * steps)])
        assert len(np.unique(rows)) == 600


def weights_after_fit(index, workers=WorkerOptions()):
    s = ShardedSequence(index, batch_size=50, shuffle=ShuffleOptions(mode="block", seed=1),
                        drop_remainder=True, workers=workers)
    model = tiny_model()
    model.fit(s, epochs=2, steps_per_epoch=s.steps_per_epoch, shuffle=False, verbose=0)
    return model.get_weights()


@pytest.mark.slow
def test_training_is_identical_with_worker_processes(train_index):
    in_process = weights_after_fit(train_index)
    with_processes = weights_after_fit(train_index, WorkerOptions(workers=2,
                                                                  use_multiprocessing=True))
    for a, b in zip(in_process, with_processes):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
