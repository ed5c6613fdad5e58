"""The training kernel's sequences: replica-even validation and padded prediction batches."""

import numpy as np
import pytest

from shared.config import LoaderConfig
from shared.data.options import LoaderOptions
from shared.store import ShardSet
from shared.training.sequences import PaddedBatches, build_training_data, prediction_sequence
from train_fixtures import make_input_root

LOADER = LoaderOptions.from_config(LoaderConfig())


@pytest.fixture(scope="module")
def shards(tmp_path_factory, fmnist):
    return ShardSet.discover(make_input_root(tmp_path_factory.mktemp("kaggle") / "input",
                                             fmnist, n_test=53))


@pytest.mark.parametrize("multiple", [1, 2, 3, 4])
def test_padded_batches_even_out_only_the_last_batch(shards, multiple):
    # 53 test rows in batches of 12: four full batches and one of 5
    sequence = prediction_sequence(shards.split("test"), LOADER, 12)
    padded = PaddedBatches(sequence, multiple)
    assert len(padded) == len(sequence) == 5 and padded.num_samples == 53
    for i in range(4):
        np.testing.assert_array_equal(padded[i], sequence[i])
    last, original = padded[4], sequence[4]
    assert len(last) == -(-5 // multiple) * multiple
    np.testing.assert_array_equal(last[:5], original)
    assert all(np.array_equal(row, original[-1]) for row in last[5:])


def test_padded_batches_keep_x_of_labelled_batches_and_refuse_endless_ones(shards):
    labelled = prediction_sequence(shards.split("train"), LOADER, 64, labels="sparse")
    np.testing.assert_array_equal(PaddedBatches(labelled, 2)[0], labelled[0][0])
    data = build_training_data(shards, LOADER, global_batch=32)
    with pytest.raises(ValueError, match=r"needs a finite sequence"):
        PaddedBatches(data.train, 2)
    with pytest.raises(ValueError, match=r"multiple = 0: expected a positive integer; give the replica count"):
        PaddedBatches(labelled, 0)


def test_the_hold_out_keeps_a_multiple_of_the_replicas_and_training_keeps_its_rows(shards):
    # 53 of 600 rows, stratified
    loader = LoaderOptions.from_config(LoaderConfig(validation_fraction=0.09))
    alone = build_training_data(shards, loader, global_batch=52)
    mirrored = build_training_data(shards, loader, global_batch=52, replicas=2)
    assert alone.validation.num_samples == 53 and mirrored.validation.num_samples == 52
    assert mirrored.replicas == 2 and len(mirrored.val_targets) == 52
    np.testing.assert_array_equal(mirrored.validation.rows, alone.validation.rows[:52])
    np.testing.assert_array_equal(mirrored.train.rows, alone.train.rows)
    with pytest.raises(ValueError, match=r"global_batch=51 is not a multiple of replicas=2"):
        build_training_data(shards, loader, global_batch=51, replicas=2)
