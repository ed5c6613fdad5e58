"""Byte sizes as people write them: ``50MB``, ``19GB``, ``256MiB`` in; ``1.2 GB`` out."""

from __future__ import annotations

import re

__all__ = ["parse_size", "format_size"]

_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
_SIZE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$")


def parse_size(value: int | str, *, what: str = "size") -> int:
    """Bytes from an int or a string such as ``"50MB"``, ``"19GB"`` or ``"256MiB"``."""
    if isinstance(value, bool):
        raise ValueError(f"{what}: expected a byte count such as 50MB, received {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{what}: expected a non-negative byte count, received {value}")
        return value
    match = _SIZE_RE.match(str(value))
    unit = match.group(2).upper() if match else None
    if not match or unit not in _UNITS:
        raise ValueError(
            f"{what}: could not read {value!r} as a size; write a number with an optional unit "
            f"(B, KB, MB, GB, TB or KiB, MiB, GiB, TiB), for example '50MB'"
        )
    return int(float(match.group(1)) * _UNITS[unit])


def format_size(num_bytes: int | float) -> str:
    """Human-readable size in decimal units (the ones Kaggle's limits use)."""
    size = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1000:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.2f} TB"
