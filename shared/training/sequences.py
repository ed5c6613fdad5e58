"""The train, validation and test sequences of a ``ShardSet``, from the loader's options
(``LoaderOptions``: ``[loader]`` read once).

Shape and classes come from the manifests (``shard_set.spec``), never from constants. The
validation rows are a hold-out of the train split, fixed by ``[loader] seed`` and stratified
as the task says (by class; by each row's rarest tag; random for regression); the
training sequence repeats (batch ``i`` belongs to epoch ``start_epoch + i // steps``), so a
resumed run sees exactly the order the first run would have seen.

Under ``MirroredStrategy`` every batch is split evenly over the replicas; a batch whose size
is not a multiple of the replica count fails (TensorFlow: "input depth must be evenly
divisible"). Training batches are full global batches; the validation hold-out keeps a multiple
of the replica count (the at most ``replicas - 1`` rows beyond are left out); and predictions
go through ``PaddedBatches``, which pads the last batch and is cut back after ``predict``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import keras
import numpy as np

from shared.checks import check_int
from shared.data.options import LoaderOptions
from shared.data.order import holdout, index_dtype, kfold
from shared.data.sequence import ShardedSequence
from shared.store import DatasetSpec, ShardSet, ShardSetError, SplitIndex
from shared.tasks import Task, default_task

__all__ = ["TrainingData", "build_training_data", "prediction_sequence", "PaddedBatches"]


@dataclass(frozen=True)
class TrainingData:
    """Everything ``fit`` and the reports need from the shards."""

    spec: DatasetSpec
    train: ShardedSequence
    validation: ShardedSequence | None
    val_targets: np.ndarray  # the validation rows' targets, in row order (with folds: the
    # whole fold; the validation sequence of ``fit`` may leave out up to ``replicas - 1``)
    train_targets: np.ndarray  # the training rows' targets
    test: SplitIndex | None  # None: a code competition (the inference kernel predicts)
    global_batch: int
    loader: LoaderOptions = field(default_factory=LoaderOptions)
    replicas: int = 1
    task: Task = field(default_factory=default_task)
    fold_assignment: np.ndarray | None = None  # with folds: the fold of every train sample
    fold_rows: np.ndarray | None = None  # with folds: this kernel's fold, every sample of it

    @property
    def num_classes(self) -> int:
        return len(self.spec.classes)


def _common(loader: LoaderOptions) -> dict:
    """The options every sequence of a run shares: with ``output`` uint8 every sequence hands
    over raw pixels, for the model's own normalisation layer."""
    return dict(normalization=loader.normalization, workers=loader.workers,
                output=loader.output)


def prediction_sequence(split: SplitIndex, loader: LoaderOptions, batch_size: int, *,
                        rows: np.ndarray | None = None, labels: str | None = None
                        ) -> ShardedSequence:
    """Rows in ascending order, every sample once, the last batch possibly short."""
    return ShardedSequence(split, rows=rows, batch_size=batch_size, repeat=False,
                           labels=labels, **_common(loader))


class PaddedBatches(keras.utils.PyDataset):
    """The ``x`` of each batch of a finite ``sequence``, the last one padded to a multiple of
    ``multiple`` rows by repeating its last sample, for ``predict`` under a distribution
    strategy; ``flip``: mirrored left-right (test-time augmentation). Keep the first
    ``num_samples`` rows of the prediction."""

    def __init__(self, sequence: ShardedSequence, multiple: int, *, flip: bool = False) -> None:
        super().__init__(workers=sequence.workers, use_multiprocessing=sequence.use_multiprocessing,
                         max_queue_size=sequence.max_queue_size)
        if sequence.num_batches is None:
            raise ValueError("PaddedBatches needs a finite sequence (repeat=False)")
        check_int("multiple", multiple, fix="give the replica count")
        self.sequence = sequence
        self.multiple = multiple
        self.flip = flip

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
        return x[:, :, ::-1] if self.flip else x


def build_training_data(shards: ShardSet, loader: LoaderOptions, *, global_batch: int,
                        replicas: int = 1, start_epoch: int = 0, task: Task | None = None,
                        augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None
                        = None, fold: int = 0, folds: int = 1) -> TrainingData:
    """Hold out ``loader.validation_fraction`` of the train split (stratified as ``task``
    says), or with ``folds`` >= 2 the samples of fold ``fold`` (``order.kfold``, fixed by
    the loader's seed), and build the sequences; ``global_batch`` is the per-replica batch
    times ``replicas``. ``task`` defaults to one class per image over the shards' classes."""
    if global_batch % replicas:
        raise ValueError(f"global_batch={global_batch} is not a multiple of replicas={replicas}")
    spec = shards.spec
    task = task or default_task(spec.classes)
    if not spec.labelled:
        raise ShardSetError(f"the shards under {shards.root} carry no targets: the training "
                            "kernel needs a labelled train split (check [source] label_column)")
    train_index = shards.split("train")
    test_index = shards.split("test") if "test" in spec.split_rows else None
    targets = train_index.labels()
    if spec.targets == "class":
        targets = targets.astype(np.int64)
        if len(targets) and targets.max() >= len(spec.classes):
            raise ShardSetError(f"train labels reach class index {int(targets.max())} but the "
                                f"manifests list {len(spec.classes)} classes: re-run "
                                "preprocessing")
    assignment = fold_rows = None
    if folds > 1:
        if not 0 <= fold < folds:
            raise ValueError(f"fold = {fold}: expected a fold in 0..{folds - 1}")
        assignment = kfold(len(train_index), folds, loader.seed, labels=task.stratify(targets))
        fold_rows = np.flatnonzero(assignment == fold).astype(index_dtype(len(train_index)))
        train_rows = np.flatnonzero(assignment != fold).astype(fold_rows.dtype)
        val_rows = fold_rows
    else:
        train_rows, val_rows = holdout(len(train_index), loader.validation_fraction,
                                       loader.seed, labels=task.stratify(targets))
    # whole batches per replica, also in the last validation batch (training is unaffected;
    # the out-of-fold predictions are made of every row of the fold, padded)
    val_rows = val_rows[:len(val_rows) - len(val_rows) % replicas]
    if len(train_rows) < global_batch:
        raise ValueError(
            f"{len(train_rows)} training samples make no batch of {global_batch} "
            f"([loader] batch_size x replicas): lower batch_size or add data")
    train = ShardedSequence(
        train_index, rows=train_rows, batch_size=global_batch, drop_remainder=True,
        shuffle=loader.shuffle, repeat=True, start_epoch=start_epoch,
        labels=task.label_mode, augment=augment, **_common(loader))
    validation = prediction_sequence(train_index, loader, global_batch, rows=val_rows,
                                     labels=task.label_mode) if len(val_rows) else None
    return TrainingData(spec=spec, train=train, validation=validation,
                        val_targets=targets[fold_rows if folds > 1 else val_rows],
                        train_targets=targets[train_rows],
                        test=test_index, global_batch=global_batch, loader=loader,
                        replicas=replicas, task=task,
                        fold_assignment=assignment, fold_rows=fold_rows)
