"""Source layouts: the ways competitions ship their train rows, one registered record each.

``layout_kind(name)`` gives a kind's record, ``layout_names()`` every registered name. See
``base`` for what a record provides; each module here registers one.
"""

from __future__ import annotations

from shared.registry import import_submodules
from shared.sources.layouts.base import (SOURCE_KINDS, SourceKind, TrainColumns,
                                         register_layout)

__all__ = ["SOURCE_KINDS", "SourceKind", "TrainColumns", "register_layout", "layout_kind",
           "layout_names"]

import_submodules(__name__)


def layout_kind(name: str) -> type[SourceKind]:
    """The registered layout ``name``; ValueError listing the known layouts otherwise."""
    return SOURCE_KINDS.get(name)


def layout_names() -> tuple[str, ...]:
    return SOURCE_KINDS.names()
