"""The kernels of one run in the order they run: one shape for the plan, the bundles and the push.

``KernelStages[T]`` holds the preprocessing kernels, then the train kernel (or one per fold),
then with folds the blend kernel, then in a code competition the inference kernel (the one
submitted), whatever ``T`` is: the planner's assignments (``Plan``), the bundler's folders
(``build_kernels``), the push's index (``KernelSet``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generic, TypeVar

__all__ = ["KernelStages"]

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class KernelStages(Generic[T]):
    """Preprocessing kernels, the train kernel or the fold kernels, with folds the blend, and
    in a code competition the inference kernel."""

    preprocess: tuple[T, ...]
    trains: tuple[T, ...]
    blend: T | None = None
    infer: T | None = None

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
        """The kernel whose submission.csv is submitted: the inference kernel, the blend, or
        the one train kernel."""
        if self.infer is not None:
            return self.infer
        return self.blend if self.blend is not None else self.train

    @property
    def trained(self) -> T:
        """The last kernel of training: the blend, or the one train kernel."""
        return self.blend if self.blend is not None else self.train

    @property
    def all(self) -> tuple[T, ...]:
        """Every kernel, in the order they run."""
        return (*self.preprocess, *self.trains,
                *(k for k in (self.blend, self.infer) if k is not None))

    def stages(self) -> KernelStages[T]:
        """Just the kernels (a subclass's other fields dropped)."""
        return KernelStages(self.preprocess, self.trains, self.blend, self.infer)

    def map(self, fn: Callable[[T], U]) -> KernelStages[U]:
        """``fn`` of every kernel, in the same stages."""
        one = lambda k: fn(k) if k is not None else None  # noqa: E731
        return KernelStages(tuple(map(fn, self.preprocess)), tuple(map(fn, self.trains)),
                            one(self.blend), one(self.infer))
