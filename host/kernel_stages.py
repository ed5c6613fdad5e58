"""The kernels of one run in the order they run: one shape for the plan, the bundles and the push.

``KernelStages[T]`` holds the preprocessing kernels, then the train kernel (or one per fold),
then with folds the blend kernel, whatever ``T`` is: the planner's assignments (``Plan``),
the bundler's folders (``build_kernels``), the push's index (``KernelSet``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

__all__ = ["KernelStages"]

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class KernelStages(Generic[T]):
    """Preprocessing kernels, the train kernel or the fold kernels, and with folds the blend."""

    preprocess: tuple[T, ...]
    trains: tuple[T, ...]
    blend: T | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "preprocess", tuple(self.preprocess))
        trains = self.trains if isinstance(self.trains, (tuple, list)) else (self.trains,)
        object.__setattr__(self, "trains", tuple(trains))
        if not self.trains:
            raise ValueError(f"{type(self).__name__}: no train kernel")
        if (len(self.trains) > 1) != (self.blend is not None):
            raise ValueError(f"{type(self).__name__}: {len(self.trains)} train kernel(s) and "
                             f"{'a' if self.blend is not None else 'no'} blend kernel: fold "
                             "kernels need a blend kernel, a single train kernel none")

    @property
    def train(self) -> T:
        """The train kernel of a run without folds."""
        if len(self.trains) != 1:
            raise ValueError(f"this plan trains {len(self.trains)} folds: use .trains and .blend")
        return self.trains[0]

    @property
    def final(self) -> T:
        """The kernel that writes submission.csv: the blend, or the one train kernel."""
        return self.blend if self.blend is not None else self.train

    @property
    def all(self) -> tuple[T, ...]:
        """Every kernel, in the order they run."""
        return (*self.preprocess, *self.trains, *((self.blend,) if self.blend is not None else ()))

    def stages(self) -> KernelStages[T]:
        """Just the kernels (a subclass's other fields dropped)."""
        return KernelStages(self.preprocess, self.trains, self.blend)

    def map(self, fn: Callable[[T], U]) -> KernelStages[U]:
        """``fn`` of every kernel, in the same stages."""
        return KernelStages(tuple(map(fn, self.preprocess)), tuple(map(fn, self.trains)),
                            fn(self.blend) if self.blend is not None else None)
