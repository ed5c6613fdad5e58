"""What one kernel is asked to do, baked into its bundle as JSON at build time.

A kernel never reads the repository: the bundler serialises its assignment (what the plan
decided for it, and the settings its role reads) into the kernel script, and the kernel
rebuilds it with ``load_assignment``. A kernel never recomputes what the plan decided: the
preprocessing kernels get their shard limits (``writer``), the train kernels what the
``auto`` training settings became (``choices``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import MISSING, asdict, dataclass
from typing import Any, Mapping

from shared.checks import check_choice, check_int, check_number
from shared.choices import ACCELERATORS
from shared.config import PipelineConfig
from shared.preset_choice import PresetChoice
from shared.sources.layout import SourceLayout
from shared.store.manifest import DatasetSpec, PlanEntry, RowRange
from shared.store.sharding import WriterOptions

__all__ = ["PreprocessAssignment", "TrainAssignment", "BlendAssignment", "InferAssignment",
           "TrainChoices", "baked", "dump_assignment", "load_assignment"]


@dataclass(frozen=True)
class TrainChoices:
    """What the ``auto`` values of ``[train]`` became for one plan: decided on the user's
    machine by ``shared.training.settings.choose_training``, printed in the plan, baked into
    each train kernel's assignment."""

    model: str
    backend: str
    augment: str
    lr_schedule: str
    learning_rate: float
    monitor: str  # without the val_ prefix when nothing is held out
    tta: str = "none"
    validation: bool = True  # rows are held out (a hold-out, or the fold)
    batch_size: int = 0  # per replica: [loader] batch_size, lowered to fit; 0 = the setting
    train_rows: int = 0  # the rows the model trains on, as planned (0: not known)
    # the machine the plan is for ([kaggle] machine_shape): the kernel trains "as on" it, so
    # a TPU plan rehearsed on forced JAX host devices resolves as on the TPU
    machine_shape: str = ""  # Kaggle's name, e.g. "TpuV5E8"; "" when no shape was given
    accelerator: str = "gpu"  # gpu | tpu (shared.choices.ACCELERATORS)
    chips: int = 0  # the devices the shape has (2 for T4 x2, 8 for a TPU v5e-8); 0 = unknown
    time_limit_hours: float = 11.0  # [train] time_limit_hours, auto resolved for the machine
    preset: PresetChoice | None = None  # model is a Kaggle Models handle: what to build

    def __post_init__(self) -> None:
        if isinstance(self.preset, Mapping):  # read back from a baked assignment
            object.__setattr__(self, "preset", PresetChoice.from_dict(self.preset))
        check_choice("TrainChoices.accelerator", self.accelerator, ACCELERATORS)
        check_int("TrainChoices.chips", self.chips, minimum=0)
        check_number("TrainChoices.time_limit_hours", self.time_limit_hours, above=0.0)
        if self.accelerator == "tpu" and self.backend != "jax":
            raise ValueError(f"TrainChoices: a TPU plan trains on JAX, received backend "
                             f"{self.backend!r}; re-plan the kernels")

    def describe(self) -> str:
        """The plan's line (and, for a preset, the backbone's lines)."""
        machine = f" for {self.machine_shape}" if self.machine_shape else ""
        return (f"train {self.model} on {self.backend}{machine}: augment {self.augment}, "
                f"{self.lr_schedule} learning rate {self.learning_rate:g}, best epoch by "
                f"{self.monitor}" + (f", tta {self.tta}" if self.tta != "none" else "")
                + f"; stop before {self.time_limit_hours:g} h"
                + (f"\n{self.preset.describe()}" if self.preset is not None else ""))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TrainChoices":
        return cls(**data)


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
    writer: WriterOptions  # the shard limits the planner sized the kernels with
    bundle_fingerprint: str = ""

    role = "preprocess"
    # the settings this role reads; the bundle bakes in only these (see ``baked``)
    settings_read = ("competition", "source", "plan")
    # settings of those tables this role does not read: baked at their defaults, so changing
    # them re-runs only the kernels that read them (the budget is in ``writer`` already)
    settings_unread = (("competition", "max_fallback_fraction"), ("competition", "task"),
                       ("competition", "submission"), ("competition", "metric"),
                       ("competition", "positive_class"), ("competition", "rerun_hours"),
                       ("plan", "kernel_budget"), ("plan", "max_kernels"))


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
    choices: TrainChoices  # what the [train] settings left on auto became
    bundle_fingerprint: str = ""
    fold: int = 0  # with [train] folds = K >= 2: which fold this kernel validates on

    role = "train"
    settings_read = ("competition", "source", "store", "loader", "train")
    settings_unread = (("competition", "rerun_hours"),)

    @property
    def folds(self) -> int:
        return self.config.train.folds


@dataclass(frozen=True)
class BlendAssignment:
    """Average the fold kernels' predictions into the submission; score their out-of-fold
    predictions (a CPU kernel: no model runs)."""

    kernel: str
    competition: str
    sources: tuple[str, ...]  # slugs of the fold kernels whose outputs are mounted
    spec: DatasetSpec
    source: SourceLayout
    source_fingerprint: str
    config: PipelineConfig
    bundle_fingerprint: str = ""

    role = "blend"
    settings_read = ("competition", "source", "loader", "train")
    settings_unread = (("competition", "rerun_hours"),)


@dataclass(frozen=True)
class InferAssignment:
    """A code competition's submitted kernel: decode the test images the mounted
    ``sample_submission.csv`` lists (the public placeholders, or in Kaggle's scoring rerun the
    hidden set) and predict them with the trained model(s) into ``submission.csv``."""

    kernel: str
    competition: str
    sources: tuple[str, ...]  # the train kernel; or the fold kernels, then the blend kernel
    spec: DatasetSpec  # what the models were trained on (shape, classes)
    source: SourceLayout
    source_fingerprint: str  # of the train side: what a rerun cannot change
    config: PipelineConfig
    choices: TrainChoices  # the backend and test-time augmentation of training
    bundle_fingerprint: str = ""

    role = "infer"
    settings_read = ("competition", "source", "plan", "loader", "train")
    # of those tables, the only settings it reads: the others are baked at their defaults, so
    # changing them (the epochs, the shuffle ...) leaves the inference kernel unchanged
    settings_fields = {"competition": ("slug", "max_fallback_fraction", "rerun_hours"),
                       "source": ("strict", "max_image_pixels"),
                       "plan": ("decode_workers",), "loader": ("batch_size",),
                       "train": ("folds",)}


Assignment = PreprocessAssignment | TrainAssignment | BlendAssignment | InferAssignment


def _unread(assignment: Assignment) -> list[tuple[str, str]]:
    """The ``(table, setting)`` pairs its role does not read (baked at their defaults)."""
    fields = getattr(assignment, "settings_fields", None)
    if fields is None:
        return list(assignment.settings_unread)
    defaults = PipelineConfig()
    return [(table, name) for table in fields
            for name in dataclasses.asdict(getattr(defaults, table)) if name not in fields[table]]


def baked(assignment: Assignment) -> Assignment:
    """The assignment as its kernel carries it: only the settings its role reads (the others
    at their defaults) and no fingerprint yet (the bundler signs it)."""
    config = assignment.config.only(assignment.settings_read)
    defaults, reset = PipelineConfig(), {}
    for section, name in _unread(assignment):
        reset.setdefault(section, {})[name] = getattr(getattr(defaults, section), name)
    return dataclasses.replace(assignment, config=config.replace(**reset) if reset else config,
                               bundle_fingerprint="")


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
        elif isinstance(value, (TrainChoices, WriterOptions)):
            value = asdict(value)
        elif isinstance(value, tuple):
            value = [asdict(v) if hasattr(v, "__dataclass_fields__") else v for v in value]
        data[name] = value
    return json.dumps(data, indent=1)


def load_assignment(text: str | Mapping[str, Any]) -> Assignment:
    """Rebuild an assignment from ``dump_assignment``'s JSON (or the parsed dict)."""
    data = json.loads(text) if isinstance(text, str) else text
    if not isinstance(data, Mapping):
        raise ValueError(f"an assignment is a JSON object with a 'role' and its fields, "
                         f"received {type(data).__name__} {_clip(data)}: rebuild the kernel "
                         "with scripts/push.py or scripts/dry_run.py")
    data = dict(data)
    role = data.pop("role", None)
    kinds = {cls.role: cls for cls in (PreprocessAssignment, TrainAssignment, BlendAssignment,
                                       InferAssignment)}
    if role not in kinds:
        raise ValueError(f"assignment role {role!r}: expected 'preprocess', 'train', 'blend' or "
                         "'infer'")
    cls = kinds[role]
    fields = cls.__dataclass_fields__
    missing = [n for n, f in fields.items() if f.default is MISSING and n not in data]
    unknown = [n for n in data if n not in fields]
    if missing or unknown:
        raise ValueError(
            f"a {role} assignment "
            + (f"lacks {', '.join(missing)}" if missing else "")
            + (" and " if missing and unknown else "")
            + (f"has unknown fields {', '.join(unknown)}" if unknown else "")
            + f"; expected {', '.join(fields)}: it was written by another version of the "
            "pipeline, rebuild the kernel")
    converters = {
        "config": lambda v: PipelineConfig.from_dict(v, origin="baked-in config"),
        "source": SourceLayout.from_dict,
        "spec": lambda v: DatasetSpec(**{**v, "sample_shape": tuple(v["sample_shape"])}),
        "ranges": lambda v: tuple(RowRange(**r) for r in v),
        "plan": lambda v: tuple(PlanEntry(**p) for p in v),
        "sources": tuple,
        "choices": lambda v: TrainChoices(**v),
        "writer": lambda v: WriterOptions(**v),
    }
    for name, convert in converters.items():
        if name in fields:
            try:
                data[name] = convert(data[name])
            except (TypeError, KeyError, AttributeError) as exc:
                raise ValueError(f"assignment field {name!r} = {_clip(data[name])}: cannot be "
                                 f"read ({type(exc).__name__}: {exc}); rebuild the kernel") \
                    from None
    return cls(**data)


def _clip(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
