"""KernelFolder: one built kernel, as ``kaggle kernels push -p <folder>`` accepts it.

The dry run and the push script both consume these folders; the bundler produces them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["KernelFolder", "kernel_title", "METADATA_NAME"]

METADATA_NAME = "kernel-metadata.json"


def kernel_title(slug: str) -> str:
    """A title that Kaggle slugifies back to ``slug`` ("my-comp-train" -> "My Comp Train")."""
    return " ".join(part.capitalize() for part in slug.split("-"))


@dataclass(frozen=True)
class KernelFolder:
    """A kernel folder: its script, its metadata, and what it depends on."""

    slug: str  # the kernel's slug, without the owner
    role: str  # "preprocess" or "train"
    path: Path  # the folder: kernel-metadata.json and the script
    script: str  # the script's file name inside ``path``
    fingerprint: str  # SHA-256 of the bundle's content (code + assignment), without itself
    sources: tuple[str, ...] = ()  # slugs of the kernels whose outputs this one mounts
    models: tuple[str, ...] = ()  # Kaggle Models handles it mounts (a preset it builds on)

    @property
    def script_path(self) -> Path:
        return self.path / self.script

    def metadata(self) -> dict[str, Any]:
        return json.loads((self.path / METADATA_NAME).read_text(encoding="utf-8"))
