"""Which numeric precision a chip trains in: ``[train] mixed_precision``.

``auto``: ``mixed_bfloat16`` where the chip computes in bfloat16 (NVIDIA compute capability
8.0 and up: A100, L4, H100; TPUs), ``mixed_float16`` on the GPUs before that (P100, V100,
T4: compute capability 6.0 to 7.5), float32 on CPU, where half-precision math is slower
than float32. ``float16`` and ``bfloat16`` are applied as asked, on any device; ``off`` is
float32. ``true``/``false``, the settings of earlier releases, read as ``auto``/``off``.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.checks import check_choice
from shared.choices import PRECISIONS

__all__ = ["PRECISIONS", "Chip", "resolve_precision"]

_POLICIES = {"float16": "mixed_float16", "bfloat16": "mixed_bfloat16", "off": "float32"}
# GPUs known by name when the runtime does not report a compute capability
_BFLOAT16_NAMES = ("A100", "A10", "A30", "A40", "L4", "L40", "H100", "H200", "RTX 30", "RTX 40")


@dataclass(frozen=True)
class Chip:
    """One device as a backend reports it: ``platform`` (gpu, tpu, cpu), its name and, for
    NVIDIA GPUs, the compute capability."""

    platform: str
    name: str = ""
    capability: tuple[int, int] | None = None


def _auto(chip: Chip | None) -> str:
    if chip is None or chip.platform == "cpu":
        return "off"
    if chip.platform == "tpu":
        return "bfloat16"
    if chip.capability is not None:
        return "bfloat16" if chip.capability >= (8, 0) else \
            "float16" if chip.capability >= (6, 0) else "off"
    return "bfloat16" if any(n in chip.name for n in _BFLOAT16_NAMES) else "float16"


def resolve_precision(setting: str | bool, chip: Chip | None) -> str:
    """The Keras dtype policy (``float32``, ``mixed_float16``, ``mixed_bfloat16``) for
    ``setting`` on ``chip`` (the first accelerator, or None on a CPU-only machine)."""
    if isinstance(setting, bool):
        setting = "auto" if setting else "off"
    check_choice("[train] mixed_precision", setting, PRECISIONS)
    return _POLICIES[_auto(chip) if setting == "auto" else setting]
