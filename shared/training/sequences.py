"""The train, validation and test sequences of a ``ShardSet``, from the ``[loader]`` settings.

Shape and classes come from the manifests (``shard_set.spec``), never from constants. The
validation rows are a stratified hold-out of the train split, fixed by ``[loader] seed``; the
training sequence repeats (batch ``i`` belongs to epoch ``start_epoch + i // steps``), so a
resumed run sees exactly the order the first run would have seen.

Under ``MirroredStrategy`` every batch is split evenly over the replicas; a batch whose size
is not a multiple of the replica count fails (TensorFlow: "input depth must be evenly
divisible"). Training batches are full global batches; the validation hold-out keeps a multiple
of the replica count (the at most ``replicas - 1`` rows beyond are left out); and predictions
go through ``PaddedBatches``, which pads the last batch and is cut back after ``predict``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np

from shared.checks import check_int
from shared.config import LoaderConfig
from shared.data.normalization import Normalization
from shared.data.options import ShuffleOptions, WorkerOptions
from shared.data.order import holdout
from shared.data.sequence import ShardedSequence
from shared.store import DatasetSpec, ShardSet, ShardSetError, SplitIndex

__all__ = ["TrainingData", "build_training_data", "prediction_sequence", "PaddedBatches"]


@dataclass(frozen=True)
class TrainingData:
    """Everything ``fit`` and the reports need from the shards."""

    spec: DatasetSpec
    train: ShardedSequence
    validation: ShardedSequence | None
    val_labels: np.ndarray  # class indices of the validation rows, in the sequence's order
    train_labels: np.ndarray  # class indices of the training rows
    test: SplitIndex
    global_batch: int
    replicas: int = 1

    @property
    def num_classes(self) -> int:
        return len(self.spec.classes)

    def most_frequent_class(self) -> int:
        """The class index training saw most often (the fallback for unreadable test rows)."""
        return int(np.argmax(np.bincount(self.train_labels, minlength=self.num_classes)))


def _common(loader: LoaderConfig) -> dict:
    """The options every sequence of a run shares, from ``[loader]``: with ``output`` uint8
    every sequence hands over raw pixels, for the model's own normalisation layer."""
    return dict(normalization=Normalization.from_config(loader),
                workers=WorkerOptions.from_config(loader), output=loader.output)


def prediction_sequence(split: SplitIndex, loader: LoaderConfig, batch_size: int, *,
                        rows: np.ndarray | None = None, labels: str | None = None
                        ) -> ShardedSequence:
    """Rows in ascending order, every sample once, the last batch possibly short."""
    return ShardedSequence(split, rows=rows, batch_size=batch_size, repeat=False,
                           labels=labels, **_common(loader))


class PaddedBatches(keras.utils.PyDataset):
    """The ``x`` of each batch of a finite ``sequence``, the last one padded to a multiple of
    ``multiple`` rows by repeating its last sample, for ``predict`` under a distribution
    strategy. Keep the first ``num_samples`` rows of the prediction."""

    def __init__(self, sequence: ShardedSequence, multiple: int) -> None:
        super().__init__(workers=sequence.workers, use_multiprocessing=sequence.use_multiprocessing,
                         max_queue_size=sequence.max_queue_size)
        if sequence.num_batches is None:
            raise ValueError("PaddedBatches needs a finite sequence (repeat=False)")
        check_int("multiple", multiple, fix="give the replica count")
        self.sequence = sequence
        self.multiple = multiple

    @property
    def num_samples(self) -> int:
        return self.sequence.num_samples

    def __len__(self) -> int:
        return len(self.sequence)

    @property
    def num_batches(self) -> int:
        return len(self.sequence)

    def __getitem__(self, index: int) -> np.ndarray:
        batch = self.sequence[index]
        x = batch[0] if isinstance(batch, tuple) else batch
        short = -len(x) % self.multiple
        if short:
            x = np.concatenate([x, np.repeat(x[-1:], short, axis=0)])
        return x


def build_training_data(shards: ShardSet, loader: LoaderConfig, *, global_batch: int,
                        replicas: int = 1, start_epoch: int = 0,
                        augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None
                        = None) -> TrainingData:
    """Hold out ``[loader] validation_fraction`` of the train split (stratified) and build
    the sequences; ``global_batch`` is the per-replica batch times ``replicas``."""
    if global_batch % replicas:
        raise ValueError(f"global_batch={global_batch} is not a multiple of replicas={replicas}")
    spec = shards.spec
    if not spec.classes:
        raise ShardSetError(f"the shards under {shards.root} carry no classes: the training "
                            "kernel needs a labelled train split (check [source] label_column)")
    train_index = shards.split("train")
    test_index = shards.split("test")
    labels = train_index.labels().astype(np.int64)
    if len(labels) and labels.max() >= len(spec.classes):
        raise ShardSetError(f"train labels reach class index {int(labels.max())} but the "
                            f"manifests list {len(spec.classes)} classes: re-run preprocessing")
    train_rows, val_rows = holdout(len(train_index), loader.validation_fraction, loader.seed,
                                   labels=labels)
    # whole batches per replica, also in the last validation batch (training is unaffected)
    val_rows = val_rows[:len(val_rows) - len(val_rows) % replicas]
    if len(train_rows) < global_batch:
        raise ValueError(
            f"{len(train_rows)} training samples make no batch of {global_batch} "
            f"([loader] batch_size x replicas): lower batch_size or add data")
    train = ShardedSequence(
        train_index, rows=train_rows, batch_size=global_batch, drop_remainder=True,
        shuffle=ShuffleOptions.from_config(loader), repeat=True, start_epoch=start_epoch,
        labels="sparse", augment=augment, **_common(loader))
    validation = prediction_sequence(train_index, loader, global_batch, rows=val_rows,
                                     labels="sparse") if len(val_rows) else None
    return TrainingData(spec=spec, train=train, validation=validation,
                        val_labels=labels[val_rows], train_labels=labels[train_rows],
                        test=test_index, global_batch=global_batch, replicas=replicas)
