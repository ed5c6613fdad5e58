"""Keras' backend as a setting: ``[train] backend = "tensorflow" | "jax"``.

Keras reads ``KERAS_BACKEND`` once, when it is first imported, so the train kernel calls
``select_backend`` before importing anything that imports Keras (``kernels/train.py`` does
so first thing in ``main``). ``check_backend`` is the guard for code that runs later: a
session whose Keras runs another backend than its settings ask for stops with a clear error.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from shared.checks import check_choice
from shared.choices import BACKENDS

__all__ = ["BACKENDS", "select_backend", "check_backend", "active_backend"]

_PACKAGES = {"tensorflow": "tensorflow", "jax": "jax"}


def active_backend() -> str | None:
    """The backend of the Keras already imported in this process, or None."""
    keras = sys.modules.get("keras")
    return None if keras is None else keras.backend.backend()


def select_backend(name: str) -> None:
    """Make ``name`` Keras' backend: set ``KERAS_BACKEND`` if Keras is not imported yet,
    otherwise check that it runs that backend already."""
    check_choice("[train] backend", name, BACKENDS)
    if importlib.util.find_spec(_PACKAGES[name]) is None:
        raise ValueError(f"[train] backend = {name!r}: the {_PACKAGES[name]} package is not "
                         f"installed here; install it (pip install {_PACKAGES[name]}) or choose "
                         f"another of {', '.join(BACKENDS)}")
    if active_backend() is None:
        os.environ["KERAS_BACKEND"] = name
        if name == "jax":
            # Keras' set_random_seed imports TensorFlow when it is installed (as on Kaggle);
            # should TensorFlow then start on the GPU, it must not take JAX's memory
            os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    check_backend(name)


def check_backend(name: str) -> None:
    """Refuse to go on when the imported Keras runs another backend than ``name``."""
    active = active_backend()
    if active is not None and active != name:
        raise ValueError(
            f"[train] backend = {name!r}, but Keras was imported with the {active!r} backend "
            "before the setting could take effect: run the train kernel (kernels/train.py), "
            f"which sets it first, or set KERAS_BACKEND={name} before Keras is imported")
