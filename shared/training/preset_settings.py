"""What a Kaggle Models preset means for one plan: ``choose_preset`` (no Keras).

The planner reads the preset's local copy (``shared.models.presets.read_preset``) and calls
this once, before the data is read, because the preset decides how the shards are stored:

- the image size: ``[source] image_size`` when set (refused when the backbone takes one size
  only and that is another), else the image converter's, else the backbone's fixed size, else
  the family's default (224);
- the normalisation: the image converter's ``scale`` and ``offset``, as the ``mean`` and
  ``std`` of ``x = (pixel / 255 - mean) / std``; a preset without a converter takes
  ``[loader] mean`` and ``std``, and is refused when they are not set;
- the fine-tuning: the pretrained family's (``shared.models.spec.FineTune``) with the
  ``[train]`` settings (``learning_rate``, ``head_epochs``, ``weights``, ``freeze_batchnorm``).
  ``weights = "random"`` trains the same architecture from scratch, the baseline a preset's
  weights are measured against: no weights to protect, so no head-only epochs and every layer
  at the full ``learning_rate``; no statistics to keep, so batch norm trains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.choices import AUTO
from shared.models import pretrained_family
from shared.models.presets import CONVERTER_FILE, PresetFacts
from shared.preset_choice import PresetChoice

if TYPE_CHECKING:
    from shared.config import PipelineConfig

__all__ = ["choose_preset", "IMAGENET_MEAN", "IMAGENET_STD"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _per_channel(values: tuple[float, ...] | None, default: float, channels: int,
                 what: str) -> list[float]:
    values = values if values is not None else (default,)
    if len(values) not in (1, channels):
        raise ValueError(f"{what} has {len(values)} values, the backbone reads {channels} "
                         "channels: expected one value or one per channel")
    return [values[i % len(values)] for i in range(channels)]


def _normalization(config: "PipelineConfig", handle: str, facts: PresetFacts
                   ) -> tuple[tuple[float, ...], tuple[float, ...], str]:
    loader = config.loader
    if facts.converter:
        if loader.mean:
            raise ValueError(
                f"[loader] mean and std are set, but the preset {handle} carries its own "
                f"normalisation ({CONVERTER_FILE}), the one its weights were trained with: "
                "remove [loader] mean and std")
        where = f"{handle}'s {CONVERTER_FILE}: scale"
        scale = _per_channel(facts.scale, 1.0, facts.channels, where)
        offset = _per_channel(facts.offset, 0.0, facts.channels, f"{where}'s offset")
        if min(scale) <= 0:
            raise ValueError(f"{where} = {list(facts.scale or ())}: expected values > 0")
        std = tuple(1.0 / (255.0 * s) for s in scale)
        mean = tuple(-o * s for o, s in zip(offset, std))
        return mean, std, CONVERTER_FILE
    if loader.mean:
        return loader.mean, loader.std, "[loader] mean and std"
    raise ValueError(
        f"the preset {handle} has no {CONVERTER_FILE}, so the normalisation its weights were "
        f"trained with is unknown: set [loader] mean and std to it (ImageNet's: mean = "
        f"{list(IMAGENET_MEAN)}, std = {list(IMAGENET_STD)}), or use a preset saved with its "
        "image converter")


def _image_size(config: "PipelineConfig", handle: str, facts: PresetFacts,
                default: int) -> tuple[int, int]:
    wanted = tuple(config.source.image_size)
    fixed = facts.fixed_size
    if wanted:
        if fixed is not None and wanted != fixed:
            raise ValueError(
                f"[source] image_size = {list(wanted)}, but the backbone {facts.backbone} of "
                f"{handle} takes {fixed[0]}x{fixed[1]} images only (config.json): remove "
                "[source] image_size, or choose a preset made for that size")
        return wanted  # type: ignore[return-value]
    return fixed or facts.image_size or (default, default)


def choose_preset(config: "PipelineConfig", handle: str, facts: PresetFacts) -> PresetChoice:
    """The preset as the train kernels will build it (see the module docstring);
    ValueError for a setting that cannot work with it."""
    train = config.train
    spec = pretrained_family(facts.backbone)
    tune = spec.fine_tune
    if config.loader.output != "uint8":
        raise ValueError(f'[loader] output = "{config.loader.output}" with [train] model = '
                         f'{train.model!r}: a preset\'s normalisation runs on the device, '
                         'behind the uint8 input; set [loader] output = "uint8"')
    if config.source.channels not in (0, facts.channels) and facts.channels != 3:
        raise ValueError(f"[source] channels = {config.source.channels}, but the backbone "
                         f"{facts.backbone} reads {facts.channels}: remove [source] channels")
    mean, std, where = _normalization(config, handle, facts)
    pretrained = train.weights == "pretrained"
    if train.head_epochs == AUTO:
        head_epochs = min(tune.head_epochs, train.epochs - 1) if pretrained else 0
    else:
        head_epochs = int(train.head_epochs)
        if head_epochs >= train.epochs:
            raise ValueError(
                f"[train] head_epochs = {head_epochs} with epochs = {train.epochs}: the "
                "backbone would never be fine-tuned; lower head_epochs (0 trains every layer "
                "from the start) or raise epochs")
    rate = spec.learning_rate if train.learning_rate == AUTO else float(train.learning_rate)
    return PresetChoice(
        handle=handle, family=spec.name, backbone=facts.backbone, parameters=facts.parameters,
        image_size=_image_size(config, handle, facts, tune.default_size),
        fixed_size=facts.fixed_size is not None, channels=facts.channels, mean=mean, std=std,
        normalization=where, weights=train.weights, pooling=spec.pooling,
        dropout=tune.dropout, head_epochs=head_epochs,
        fine_tune_rate=rate * tune.rate_factor if pretrained else rate,
        warmup_epochs=tune.warmup_epochs, weight_decay=tune.weight_decay,
        freeze_batchnorm=pretrained if train.freeze_batchnorm == AUTO
        else train.freeze_batchnorm)
