"""Turning kernels into Kaggle kernel folders (a script plus ``kernel-metadata.json``)."""

from host.bundle.folder import KernelFolder, kernel_title

__all__ = ["KernelFolder", "kernel_title"]
