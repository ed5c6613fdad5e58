"""The registry of model families: each module of ``shared.models`` registers its spec."""

from __future__ import annotations

from shared.models.spec import ModelSpec
from shared.registry import Registry

__all__ = ["MODELS", "register_model"]

MODELS: Registry[ModelSpec] = Registry("model family", "[train] model")


def register_model(spec: ModelSpec) -> ModelSpec:
    """Register ``spec`` under its name; returns it."""
    return MODELS.add(spec.name, spec)
