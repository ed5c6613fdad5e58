"""What the pipeline knows about a model family, without importing Keras: ``ModelSpec``.

A spec is one record of ``shared.models``' registry (timm's pretrained config manner): the
builder, the input it takes (size fixed or free, channels, the smallest side it can pool),
how pixels are normalised for it, the defaults that ``[train]`` settings left on ``auto``
take for it, and where its weights come from. The planner reads specs (the minimum side, the
input size) on the user's machine; only ``build`` imports Keras.

A pretrained family (``fine_tune`` set) fine-tunes keras_hub image backbones loaded from a
Kaggle Models preset: it names how their features are pooled and how they are fine-tuned
(``FineTune``); ``[train] model`` names the preset, never the family.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from shared.checks import check_choice, check_int, check_number
from shared.choices import AUGMENT_MODES, LR_SCHEDULES

__all__ = ["ModelSpec", "FineTune", "POOLINGS", "check_input"]


# how a backbone's features become one vector: "" the builder's own (it flattens), avg: the
# mean over every position (a CNN's feature map, or a ViT's tokens), class_token: the first
POOLINGS = ("", "avg", "class_token")


@dataclass(frozen=True)
class FineTune:
    """How a pretrained family fine-tunes a backbone: the head first with the backbone frozen
    (``head_epochs`` at the family's ``learning_rate``), then every layer at
    ``learning_rate * rate_factor``, reached by a linear warm-up of ``warmup_epochs`` and then
    decayed (cosine) or held; AdamW with ``weight_decay`` in both phases."""

    backbones: tuple[str, ...] = ()  # keras_hub classes it fine-tunes; (): any other
    head_epochs: int = 1
    rate_factor: float = 0.1
    warmup_epochs: float = 1.0
    weight_decay: float = 0.01
    dropout: float = 0.2  # before the head
    default_size: int = 224  # the input side when the preset's converter names none

    def __post_init__(self) -> None:
        check_int("FineTune.head_epochs", self.head_epochs, minimum=0)
        check_number("FineTune.rate_factor", self.rate_factor, above=0.0, at_most=1.0)
        check_number("FineTune.warmup_epochs", self.warmup_epochs, at_least=0.0)
        check_number("FineTune.weight_decay", self.weight_decay, at_least=0.0)
        check_number("FineTune.dropout", self.dropout, at_least=0.0, below=1.0)
        check_int("FineTune.default_size", self.default_size)


@dataclass(frozen=True)
class ModelSpec:
    """One model family (see the module docstring).

    ``build(spec, input_shape, head)`` returns the uncompiled ``keras.Model`` for
    ``input_shape`` ``(H, W, C)`` ending in the task's ``head`` (``shared.tasks.Head``).
    """

    name: str
    build: Callable[..., Any]
    description: str
    min_side: int = 1  # images smaller than this on either side cannot be pooled
    min_side_reason: str = ""  # why, for the refusal: "pools the image twice"
    input_size: tuple[int, int] | None = None  # (height, width) the weights expect; None: any
    channels: int | None = None  # 1 or 3 the model needs; None: either
    normalization: str = "loader"  # loader: [loader] mean/std on x / 255
    augment: str = "none"  # what [train] augment = "auto" means for this family
    lr_schedule: str = "constant"  # what [train] lr_schedule = "auto" means
    learning_rate: float = 1e-3  # what [train] learning_rate = "auto" means
    weights: str = "random initialisation (trained from scratch)"
    pooling: str = ""  # see POOLINGS
    fine_tune: FineTune | None = None  # set for a pretrained family

    def __post_init__(self) -> None:
        check_choice("ModelSpec.pooling", self.pooling, POOLINGS)
        check_int("ModelSpec.min_side", self.min_side)
        check_choice("ModelSpec.augment", self.augment, AUGMENT_MODES)
        check_choice("ModelSpec.lr_schedule", self.lr_schedule, LR_SCHEDULES)
        check_number("ModelSpec.learning_rate", self.learning_rate, above=0.0)
        if self.channels not in (None, 1, 3):
            raise ValueError(f"ModelSpec.channels = {self.channels!r}: expected 1, 3 or None")
        if self.fine_tune is not None and not self.pooling:
            raise ValueError(f"ModelSpec {self.name!r}: a pretrained family names its pooling, "
                             f"one of {', '.join(POOLINGS[1:])}")

    @property
    def pretrained(self) -> bool:
        """Whether this family fine-tunes a preset's backbone (``[train] model`` = a handle)."""
        return self.fine_tune is not None


def check_input(spec: ModelSpec, input_shape: tuple[int, ...], head: Any) -> tuple[int, ...]:
    """``input_shape`` as ints; ValueError when ``spec`` cannot take it or ``head`` is empty."""
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"input_shape {input_shape!r}: expected (height, width, channels), "
                         "channels last, as the shard manifests give it")
    if min(shape[:2]) < spec.min_side:
        raise ValueError(f"input_shape {shape}: the {spec.name} model {spec.min_side_reason}, "
                         f"so height and width must be >= {spec.min_side}; resize images "
                         "larger in [source]")
    if head.activation == "softmax" and head.units < 2:
        raise ValueError(f"num_classes={head.units}: a classifier needs at least 2 classes")
    if head.units < 1:
        raise ValueError(f"head units = {head.units}: expected at least one output")
    return shape
