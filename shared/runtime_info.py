"""What a kernel ran with: the versions of Python, numpy, pandas, Pillow, Keras and its backend.

Kaggle's image is not our environment (``requirements-kaggle.txt`` pins what it had when
last read), so every kernel records what it really ran with: the preprocessing kernels in
``manifest.json`` (``extra.runtime``), the train kernel in ``metrics.json`` (``runtime``),
and both print it first in their log. Keras is described without importing it when nothing
imported it yet (a preprocessing kernel never loads TensorFlow): its installed version and
the backend it would load (``KERAS_BACKEND``, else ``keras.json``, else TensorFlow). A kernel
that built a model on a Kaggle Models preset records the keras_hub it imported as well.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["runtime_info", "describe_runtime"]

_BACKEND_DISTS = {"tensorflow": ("tensorflow", "tensorflow-cpu"), "jax": ("jax",),
                  "torch": ("torch",), "numpy": ("numpy",), "openvino": ("openvino",)}


def _installed(*names: str) -> str | None:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def _configured_backend() -> str:
    """The backend Keras would load (its own rule: variable, then config file, then TF)."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    try:
        return json.loads((home / "keras.json").read_text()).get("backend", "tensorflow")
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def runtime_info() -> dict[str, object]:
    """Versions as plain JSON values; ``None`` for a package that is not installed."""
    keras = sys.modules.get("keras")
    if keras is not None:
        backend, keras_version = keras.backend.backend(), keras.__version__
    else:
        backend, keras_version = _configured_backend(), _installed("keras")
    module = sys.modules.get(backend)
    backend_version = getattr(module, "__version__", None) or _installed(
        *_BACKEND_DISTS.get(backend, (backend,)))
    info = {"python": platform.python_version(), "numpy": _installed("numpy"),
            "pandas": _installed("pandas"), "pillow": _installed("pillow", "Pillow"),
            "keras": keras_version, "keras_backend": backend,
            "backend_version": backend_version, "keras_imported": keras is not None}
    if "keras_hub" in sys.modules:
        info["keras_hub"] = getattr(sys.modules["keras_hub"], "__version__", None)
    return info


def describe_runtime(info: dict[str, object] | None = None) -> str:
    """One line for a log: ``Python 3.12.1, numpy 2.0.2, ..., Keras 3.13.2 (tensorflow
    2.20.0)``."""
    info = runtime_info() if info is None else info
    keras = (f"Keras {info['keras']} ({info['keras_backend']} {info['backend_version']})"
             if info["keras"] else "no Keras")
    return (f"Python {info['python']}, numpy {info['numpy']}, pandas {info['pandas']}, "
            f"Pillow {info['pillow']}, {keras}")
