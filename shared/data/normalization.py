"""How uint8 pixels become model inputs: ``x = (pixel * scale - mean) / std`` per channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from shared.checks import check_mean_std

if TYPE_CHECKING:
    from shared.config import LoaderConfig

__all__ = ["Normalization"]


@dataclass(frozen=True)
class Normalization:
    """``x = (pixel * scale - mean) / std`` per channel; by default only ``pixel / 255``.

    ``mean`` and ``std`` are in ``[0, 1]`` units: one value, or one per channel, or neither.
    """

    scale: float = 1.0 / 255.0
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        mean, std = check_mean_std(self.mean, self.std)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    @classmethod
    def from_config(cls, loader: "LoaderConfig") -> "Normalization":
        """``[loader] mean`` and ``std`` (checked when the settings were read)."""
        return cls(mean=loader.mean, std=loader.std)

    def check_channels(self, channels: int, *, prefix: str = "[loader] ") -> None:
        """One value, or one per channel (refused at planning, before any kernel runs)."""
        if self.mean and len(self.mean) not in (1, channels):
            raise ValueError(
                f"{prefix}mean and std have {len(self.mean)} values but the images have "
                f"{channels} channel{'s' if channels > 1 else ''}: expected one value, or one "
                f"per channel; give {channels}, e.g. mean = [{', '.join(['0.5'] * channels)}]")

    def coefficients(self, channels: int) -> tuple[np.ndarray, np.ndarray | None]:
        """``(a, b)`` with ``x = pixel * a + b``, each of shape ``(channels,)``."""
        if not self.mean:
            return np.full(channels, self.scale, np.float32), None
        self.check_channels(channels, prefix="")
        mean = np.broadcast_to(np.asarray(self.mean, np.float64), (channels,))
        std = np.broadcast_to(np.asarray(self.std, np.float64), (channels,))
        return (self.scale / std).astype(np.float32), (-mean / std).astype(np.float32)
