"""Kaggle Models handles (``owner/model/framework/variation/version``) and preset names.

A Keras preset on Kaggle Models is named by a handle of exactly five parts, the form the
``kaggle`` client checks in ``model_sources``: ``keras/efficientnet/keras/efficientnet_b0_ra_
imagenet/2``. Kaggle mounts it read-only under ``/kaggle/input``, at a depth that has changed
over time, so a kernel finds it by the last four parts (``ModelHandle.mount_tail``). keras_hub
names its presets too (``efficientnet_b0_ra_imagenet``); ``looks_like_preset_name`` says
whether ``[train] model`` may be one (the planner resolves it to its handle).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ModelHandle", "is_handle", "looks_like_preset_name"]

_PART = r"[A-Za-z0-9][\w.-]*"
_HANDLE = re.compile(rf"({_PART})/({_PART})/({_PART})/({_PART})/([0-9]+)")
# keras_hub's preset names: lowercase words joined by underscores (resnet_50_imagenet)
_PRESET_NAME = re.compile(r"[a-z0-9][a-z0-9.]*(_[a-z0-9.]+)+")
FORM = "owner/model/framework/variation/version, e.g. keras/efficientnet/keras/" \
       "efficientnet_b0_ra_imagenet/2"


def is_handle(text: object) -> bool:
    """Whether ``text`` is a Kaggle Models handle with all five parts."""
    return isinstance(text, str) and _HANDLE.fullmatch(text) is not None


def looks_like_preset_name(text: object) -> bool:
    """Whether ``text`` has the form of a keras_hub preset name (``resnet_50_imagenet``)."""
    return isinstance(text, str) and _PRESET_NAME.fullmatch(text) is not None


@dataclass(frozen=True)
class ModelHandle:
    """One version of one variation of a model on Kaggle Models."""

    owner: str
    model: str
    framework: str
    variation: str
    version: int

    @classmethod
    def parse(cls, text: str, *, what: str = "[train] model") -> "ModelHandle":
        """The handle ``text``; ValueError naming ``what`` when it has another form."""
        found = _HANDLE.fullmatch(text) if isinstance(text, str) else None
        if found is None:
            raise ValueError(f"{what} = {text!r}: expected a Kaggle Models handle {FORM} "
                             "(copy it from the model's page, with its version number)")
        owner, model, framework, variation, version = found.groups()
        return cls(owner, model, framework, variation, int(version))

    @property
    def mount_tail(self) -> tuple[str, str, str, str]:
        """``(model, framework, variation, version)``: how a mount path ends on Kaggle."""
        return self.model, self.framework, self.variation, str(self.version)

    @property
    def parts(self) -> tuple[str, str, str, str, str]:
        return (self.owner, *self.mount_tail)

    def __str__(self) -> str:
        return "/".join(self.parts)
