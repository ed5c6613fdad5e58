"""The runtime: the code that kernels run (sources, the shard store, the sharded sequence,
preprocessing, the model and training loop, submissions, Kaggle paths).

Each kernel carries only the modules its role imports (``host.bundle.closure``), and nothing
here imports ``host``, the code that runs on the user's machine.
"""

__version__ = "0.2.0"
