"""Which Kaggle Models a kernel mounts: ``model_sources`` of its ``kernel-metadata.json``.

A kernel that builds or loads a model on a preset (``[train] model`` = a Kaggle Models handle)
needs that preset mounted under ``/kaggle/input``: Kaggle does so for every handle listed in
``model_sources``, and the dry run mounts the local copy of each where Kaggle would. The train
and fold kernels carry what the preset became in their assignment's ``choices``; any other
role whose assignment carries training choices (an inference kernel) gets the same.
"""

from __future__ import annotations

from typing import Any

__all__ = ["model_sources"]


def model_sources(assignment: Any) -> list[str]:
    """The handles ``assignment``'s kernel must have mounted (empty for most roles)."""
    choices = getattr(assignment, "choices", None)
    preset = getattr(choices, "preset", None)
    return [preset.handle] if preset is not None else []
