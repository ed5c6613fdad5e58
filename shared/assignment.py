"""What one kernel is asked to do, baked into its bundle as JSON at build time.

A kernel never reads the repository: the bundler serialises its assignment (with the whole
pipeline config) into the kernel script, and the kernel rebuilds it with ``load_assignment``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Mapping

from shared.config import PipelineConfig
from shared.sources.layout import SourceLayout
from shared.store.manifest import DatasetSpec, PlanEntry, RowRange

__all__ = ["PreprocessAssignment", "TrainAssignment", "dump_assignment", "load_assignment"]


@dataclass(frozen=True)
class PreprocessAssignment:
    """Decode ``ranges`` of the competition's rows into shards (one preprocessing kernel)."""

    kernel: str  # this kernel's slug, e.g. "fashion-mnist-demo-preprocess-00"
    competition: str  # the competition slug, to find its mounted data
    ranges: tuple[RowRange, ...]
    spec: DatasetSpec
    plan: tuple[PlanEntry, ...]  # every kernel's share, recorded in the manifest
    source: SourceLayout
    source_fingerprint: str
    config: PipelineConfig
    bundle_fingerprint: str = ""

    role = "preprocess"


@dataclass(frozen=True)
class TrainAssignment:
    """Train on every preprocessing kernel's output and write the submission."""

    kernel: str
    competition: str
    sources: tuple[str, ...]  # slugs of the preprocessing kernels whose outputs are mounted
    spec: DatasetSpec  # what the shards must describe
    source: SourceLayout
    source_fingerprint: str
    config: PipelineConfig
    bundle_fingerprint: str = ""

    role = "train"


Assignment = PreprocessAssignment | TrainAssignment


def dump_assignment(assignment: Assignment) -> str:
    """JSON text that ``load_assignment`` turns back into an equal assignment."""
    data: dict[str, Any] = {"role": assignment.role}
    for name in assignment.__dataclass_fields__:
        value = getattr(assignment, name)
        if isinstance(value, PipelineConfig):
            value = value.to_dict()
        elif isinstance(value, SourceLayout):
            value = value.to_dict()
        elif isinstance(value, DatasetSpec):
            value = {**asdict(value), "classes": list(value.classes)}
        elif isinstance(value, tuple):
            value = [asdict(v) if hasattr(v, "__dataclass_fields__") else v for v in value]
        data[name] = value
    return json.dumps(data, indent=1)


def load_assignment(text: str | Mapping[str, Any]) -> Assignment:
    """Rebuild an assignment from ``dump_assignment``'s JSON (or the parsed dict)."""
    data = dict(json.loads(text) if isinstance(text, str) else text)
    role = data.pop("role", None)
    spec = data["spec"]
    data.update(
        config=PipelineConfig.from_dict(data["config"], origin="baked-in config"),
        source=SourceLayout.from_dict(data["source"]),
        spec=DatasetSpec(**{**spec, "sample_shape": tuple(spec["sample_shape"])}),
    )
    if role == "preprocess":
        data["ranges"] = tuple(RowRange(**r) for r in data["ranges"])
        data["plan"] = tuple(PlanEntry(**p) for p in data["plan"])
        return PreprocessAssignment(**data)
    if role == "train":
        data["sources"] = tuple(data["sources"])
        return TrainAssignment(**data)
    raise ValueError(f"assignment role {role!r}: expected 'preprocess' or 'train'")
