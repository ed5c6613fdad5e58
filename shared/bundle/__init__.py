"""Turning kernels into Kaggle kernel folders (a script plus ``kernel-metadata.json``)."""

from shared.bundle.folder import KernelFolder, kernel_title

__all__ = ["KernelFolder", "kernel_title"]
