"""Lazy package exports (PEP 562): ``from shared.store import ShardSet`` imports the reader
alone, not the writer beside it.

A package shared by both kernel roles lists its public names in one table instead of
importing every module in its ``__init__``. That keeps each kernel's code to what it runs:
the bundler reads the same table (``host.bundle.closure``), so a preprocessing kernel does
not carry, and is not fingerprinted by, the shard reader the train kernel uses.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Mapping, Sequence

__all__ = ["lazy_exports"]


def lazy_exports(package: str, table: Mapping[str, Sequence[str]]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for ``package``, whose ``table`` maps each module
    to the names it exports; a name is imported from its module on first use.

    Write the table as a literal (module names and names as strings): the bundler reads it
    without running the package.
    """
    where = {name: module for module, names in table.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(where)

    return __getattr__, __dir__, sorted(where)
