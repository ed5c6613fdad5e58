"""Reading shards for training: epoch orders, the hold-out split, and ShardedSequence.

``ShardedSequence`` imports Keras; the rest does not, so it lives behind a lazy import.
"""

from shared.data.gather import ShardGather
from shared.data.normalization import Normalization
from shared.data.options import ShuffleOptions, WorkerOptions
from shared.data.order import epoch_order, holdout

__all__ = ["Normalization", "ShardGather", "ShardedSequence", "ShuffleOptions", "WorkerOptions",
           "epoch_order", "holdout"]


def __getattr__(name: str):
    if name == "ShardedSequence":
        from shared.data.sequence import ShardedSequence

        return ShardedSequence
    raise AttributeError(name)
