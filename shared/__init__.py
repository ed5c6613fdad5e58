"""The code every kernel shares: sources, planning, the shard store, the sharded sequence,
the model and training loop, and Kaggle paths. Bundled into each kernel at build time."""

__version__ = "0.1.0"
