"""Registries: a kind of thing (a task kind, a model family) is one record, found by name.

A registry package lists nothing by hand. Its ``__init__`` calls ``import_submodules(__name__)``
and each module registers its record where it is defined (timm's ``_registry.py`` manner), so
adding a kind is adding a file. The bundler reads that call (``host.bundle.closure``) and
carries every module of such a package.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import sys
from typing import Callable, Generic, Iterator, TypeVar

__all__ = ["Registry", "import_submodules"]

T = TypeVar("T")


def import_submodules(package: str) -> None:
    """Import every module of ``package`` (not subpackages' modules), in name order."""
    module = sys.modules[package]
    for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package}.{info.name}")


class Registry(Generic[T]):
    """Records of one kind by name; ``what`` names the kind in messages (``task kind``)."""

    def __init__(self, what: str, setting: str) -> None:
        self.what = what
        self.setting = setting  # where a user names one, e.g. "[competition] task"
        self._records: dict[str, T] = {}

    def add(self, name: str, record: T) -> T:
        """Register ``record`` as ``name``; a second record of the same name is a bug."""
        if name in self._records and self._records[name] is not record:
            raise ValueError(f"two {self.what}s are registered as {name!r}: "
                             f"{self._records[name]!r} and {record!r}; rename one")
        self._records[name] = record
        return record

    def register(self, name_of: Callable[[T], str] = lambda r: r.name) -> Callable[[T], T]:
        """A decorator that registers a record under ``name_of(record)``."""
        return lambda record: self.add(name_of(record), record)

    def get(self, name: str) -> T:
        """The record named ``name``; ValueError listing the known names otherwise."""
        try:
            return self._records[name]
        except KeyError:
            pass
        close = difflib.get_close_matches(str(name), list(self._records), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{self.setting} = {name!r}: no such {self.what}; expected one of "
                         f"{', '.join(self.names())}{hint}")

    def names(self) -> tuple[str, ...]:
        return tuple(self._records)

    def __contains__(self, name: object) -> bool:
        return name in self._records

    def __iter__(self) -> Iterator[T]:
        return iter(self._records.values())

    def __len__(self) -> int:
        return len(self._records)
