"""ShardedSequence's option objects, each with ``from_config`` beside it (grain's manner).

The settings file is turned into options here and nowhere else: ``LoaderOptions.from_config``
reads ``[loader]`` once into the shuffle, worker and normalisation options every sequence of a
training run shares (``Normalization.from_config`` lives with the normalisation itself).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.checks import check_choice, check_int, check_number
from shared.choices import LOADER_OUTPUTS, SHUFFLE_MODES
from shared.data.normalization import Normalization

if TYPE_CHECKING:
    from shared.config import LoaderConfig

__all__ = ["SHUFFLE_MODES", "ShuffleOptions", "WorkerOptions", "LoaderOptions",
           "default_block_rows"]
_BLOCK_TARGET_BYTES = 2**20


def default_block_rows(sample_bytes: int, batch_size: int) -> int:
    """About 1 MiB of contiguous samples per block, and never fewer than one batch."""
    return max(batch_size, math.ceil(_BLOCK_TARGET_BYTES / max(sample_bytes, 1)))


@dataclass(frozen=True)
class ShuffleOptions:
    """The order of an epoch's samples.

    ``mode``: ``none`` (row order), ``block`` (permute contiguous blocks of ``block_rows``,
    then mix rows within a window of ``window_blocks`` blocks: near-sequential reads) or
    ``full`` (a global permutation). ``block_rows = 0`` picks about 1 MiB of samples per block,
    and at least one batch (``resolve``). Every order is a pure function of ``seed`` and the
    epoch.
    """

    mode: str = "none"
    seed: int = 0
    block_rows: int = 0
    window_blocks: int = 16

    def __post_init__(self) -> None:
        check_choice("shuffle", self.mode, SHUFFLE_MODES)
        check_int("seed", self.seed, minimum=0)
        check_int("block_rows", self.block_rows, minimum=0)
        check_int("window_blocks", self.window_blocks)

    @classmethod
    def from_config(cls, loader: "LoaderConfig") -> "ShuffleOptions":
        """``[loader] shuffle``, ``seed``, ``block_rows`` and ``window_blocks``."""
        return cls(mode=loader.shuffle, seed=loader.seed, block_rows=loader.block_rows,
                   window_blocks=loader.window_blocks)

    def resolve(self, sample_bytes: int, batch_size: int) -> "ShuffleOptions":
        """These options with ``block_rows = 0`` replaced by its automatic value."""
        if self.block_rows:
            return self
        return dataclasses.replace(self, block_rows=default_block_rows(sample_bytes, batch_size))


@dataclass(frozen=True)
class WorkerOptions:
    """How Keras runs ``__getitem__``: threads (or processes) and how far it reads ahead
    (``max_queue_size`` batches); ``read_ahead``: in block mode, a background thread reads
    the next window while batches are served from the current one."""

    workers: int = 1
    use_multiprocessing: bool = False
    max_queue_size: int = 10
    read_ahead: bool = True

    def __post_init__(self) -> None:
        check_int("workers", self.workers)
        check_int("max_queue_size", self.max_queue_size)
        for name in ("use_multiprocessing", "read_ahead"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} = {getattr(self, name)!r}: expected true or false")

    @classmethod
    def from_config(cls, loader: "LoaderConfig") -> "WorkerOptions":
        """``[loader] workers``, ``use_multiprocessing``, ``max_queue_size`` and
        ``read_ahead``."""
        return cls(workers=loader.workers, use_multiprocessing=loader.use_multiprocessing,
                   max_queue_size=loader.max_queue_size, read_ahead=loader.read_ahead)


@dataclass(frozen=True)
class LoaderOptions:
    """What every sequence of one training run shares, read from ``[loader]`` once: the
    shuffle, the workers, the normalisation, what is handed over (``uint8`` raw pixels for the
    model's own normalisation layer, or ``float32``) and the share of rows held out."""

    shuffle: ShuffleOptions = field(default_factory=ShuffleOptions)
    workers: WorkerOptions = field(default_factory=WorkerOptions)
    normalization: Normalization = field(default_factory=Normalization)
    output: str = "uint8"
    validation_fraction: float = 0.1

    def __post_init__(self) -> None:
        check_choice("output", self.output, LOADER_OUTPUTS)
        check_number("validation_fraction", self.validation_fraction, at_least=0.0, below=1.0)

    @property
    def seed(self) -> int:
        """The seed of every order: the epochs, the hold-out, the folds."""
        return self.shuffle.seed

    @classmethod
    def from_config(cls, loader: "LoaderConfig") -> "LoaderOptions":
        """Every ``[loader]`` setting a sequence reads."""
        return cls(shuffle=ShuffleOptions.from_config(loader),
                   workers=WorkerOptions.from_config(loader),
                   normalization=Normalization.from_config(loader), output=loader.output,
                   validation_fraction=loader.validation_fraction)

    def key(self) -> dict[str, Any]:
        """What decides the data a model sees, as JSON values: the part of a resume key that
        is the loader's (its options whole, so a new option joins the key by itself)."""
        plain = lambda options: json.loads(json.dumps(dataclasses.asdict(options)))  # noqa: E731
        return {"shuffle": plain(self.shuffle), "normalization": plain(self.normalization),
                "loader_output": self.output, "validation_fraction": self.validation_fraction}
