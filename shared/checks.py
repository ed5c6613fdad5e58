"""One home for argument checks, with one message style: received, expected, how to fix.

Settings (``shared.config``) and public constructors validate through these, once, where a
value enters. ``name`` is how the user wrote the value: ``"[loader] batch_size"`` for a
setting, ``"batch_size"`` for a keyword argument. A failed check raises ``ValueError``::

    [loader] batch_size = 0: expected a positive integer; lower it ...
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

__all__ = ["refuse", "check_int", "check_number", "check_choice", "check_numbers",
           "check_mean_std", "is_number"]


def refuse(name: str, value: Any, expected: str, fix: str = "") -> ValueError:
    """The error for ``name = value`` when ``expected`` was wanted (raise it)."""
    return ValueError(f"{name} = {value!r}: expected {expected}" + (f"; {fix}" if fix else ""))


def is_number(value: Any) -> bool:
    """An int or float, not a bool (``True`` is an int to Python, never a number to a user)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_int(name: str, value: Any, *, minimum: int = 1, fix: str = "") -> int:
    """An integer ``>= minimum`` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}")
        raise refuse(name, value, what, fix)
    return value


def check_number(name: str, value: Any, *, above: float | None = None,
                 at_least: float | None = None, below: float | None = None,
                 at_most: float | None = None, fix: str = "") -> float:
    """A finite number within the given bounds (``above``/``below`` exclusive)."""
    bounds = [f"> {above:g}" if above is not None else "",
              f">= {at_least:g}" if at_least is not None else "",
              f"< {below:g}" if below is not None else "",
              f"<= {at_most:g}" if at_most is not None else ""]
    ok = is_number(value) and math.isfinite(value) and (
        (above is None or value > above) and (at_least is None or value >= at_least)
        and (below is None or value < below) and (at_most is None or value <= at_most))
    if not ok:
        limits = " and ".join(b for b in bounds if b)
        raise refuse(name, value, "a number" + (f" {limits}" if limits else ""), fix)
    return value


def check_choice(name: str, value: Any, choices: Sequence[str], fix: str = "") -> str:
    """One of ``choices``."""
    if value not in choices:
        raise refuse(name, value, f"one of {', '.join(map(str, choices))}", fix)
    return value


def check_numbers(name: str, values: Iterable[Any], *, example: str = "",
                  positive: bool = False) -> tuple[float, ...]:
    """A list of finite numbers (each > 0 when ``positive``), as a tuple of floats."""
    values = list(values) if not isinstance(values, str) else values
    if isinstance(values, str) or not all(is_number(v) and math.isfinite(v) for v in values):
        raise refuse(name, values, "numbers" + (f", e.g. {example}" if example else ""))
    if positive and any(v <= 0 for v in values):
        raise refuse(name, values, "numbers > 0 (every value must be > 0)")
    return tuple(float(v) for v in values)


_MEAN_STD_EXAMPLE = "[0.5] or [0.49, 0.48, 0.45] (one per channel), or []"


def check_mean_std(mean: Iterable[Any], std: Iterable[Any], *, prefix: str = ""
                   ) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel normalisation: numbers, ``std`` > 0, as many of each (or neither)."""
    mean = check_numbers(f"{prefix}mean", mean, example=_MEAN_STD_EXAMPLE)
    std = check_numbers(f"{prefix}std", std, example=_MEAN_STD_EXAMPLE, positive=True)
    if len(mean) != len(std):
        raise ValueError(f"{prefix}mean = {list(mean)} and {prefix}std = {list(std)}: expected "
                         "as many values in each; give both with one value per channel (or one "
                         "value), or neither")
    return mean, std
