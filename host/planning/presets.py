"""The preset ``[train] model`` names, found on the user's machine: kagglehub's cache.

The planner, the dry run and the push read the preset where ``kagglehub.model_download``
leaves it: ``$KAGGLEHUB_CACHE`` (default ``~/.cache/kagglehub``) ``/models/<owner>/<model>/
<framework>/<variation>/<version>``, complete once kagglehub wrote its marker
``<version>.complete`` beside that folder. Nothing downloads by itself: a missing preset is
refused before any kernel runs, with the command that downloads it. A keras_hub preset name
(``efficientnet_b0_ra_imagenet``) is resolved to its handle through keras_hub's own table.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from shared.config import PipelineConfig, SourceConfig
from shared.models import names_a_preset
from shared.models.handles import FORM, ModelHandle, is_handle
from shared.models.presets import PresetFacts, read_preset
from shared.preset_choice import PresetChoice

__all__ = ["CACHE_ENV", "LocalPreset", "kagglehub_cache", "cached_preset", "download_command",
           "resolve_handle", "local_preset", "source_for_preset"]

CACHE_ENV = "KAGGLEHUB_CACHE"
_KAGGLE_SCHEME = "kaggle://"


def kagglehub_cache() -> Path:
    """kagglehub's cache folder: ``$KAGGLEHUB_CACHE``, else ``~/.cache/kagglehub``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "kagglehub")


def download_command(handle: ModelHandle) -> str:
    """The command that puts ``handle`` where ``cached_preset`` looks."""
    return f"python -c \"import kagglehub; print(kagglehub.model_download('{handle}'))\""


def cached_preset(handle: ModelHandle) -> Path:
    """The complete local copy of ``handle``; FileNotFoundError saying how to download it."""
    base = kagglehub_cache() / "models"
    folder = base.joinpath(*handle.parts)
    marker = folder.with_name(f"{handle.version}.complete")
    if folder.is_dir() and marker.is_file():
        return folder
    state = "incomplete (no completion marker " + str(marker) + ")" if folder.is_dir() \
        else "not downloaded"
    raise FileNotFoundError(
        f"the preset {handle} ([train] model) is {state}: expected it in kagglehub's cache "
        f"at {folder} (${CACHE_ENV}, default ~/.cache/kagglehub). Download it first (Kaggle "
        f"credentials may be needed; nothing downloads by itself):\n  {download_command(handle)}")


def _keras_hub_presets() -> dict:
    try:
        import keras_hub
    except ImportError as exc:
        raise ValueError(f"keras_hub cannot be imported ({exc}) to resolve a preset name: "
                         f"give [train] model as a Kaggle Models handle ({FORM}), or "
                         "`make env`") from exc
    return dict(keras_hub.models.Backbone.presets)


def resolve_handle(name: str) -> ModelHandle:
    """``name``'s handle: itself, or the handle keras_hub gives its preset name."""
    if is_handle(name):
        return ModelHandle.parse(name)
    presets = _keras_hub_presets()
    if name not in presets:
        close = difflib.get_close_matches(name, list(presets), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValueError(f"[train] model = {name!r}: no model family, and no keras_hub preset "
                         f"of that name{hint}; expected article, better, a Kaggle Models "
                         f"handle {FORM}, or a keras_hub preset name")
    handle = str(presets[name].get("kaggle_handle", "")).removeprefix(_KAGGLE_SCHEME)
    if not is_handle(handle):
        raise ValueError(f"[train] model = {name!r}: keras_hub knows it as {handle!r}, not a "
                         f"full Kaggle Models handle ({FORM}); give the handle with its "
                         "version from the model's page on Kaggle")
    return ModelHandle.parse(handle)


@dataclass(frozen=True)
class LocalPreset:
    """The preset ``[train] model`` names, as found in kagglehub's cache."""

    handle: ModelHandle
    folder: Path
    facts: PresetFacts


def local_preset(config: PipelineConfig) -> LocalPreset | None:
    """The local copy of the preset ``[train] model`` names; None for a family trained from
    scratch. FileNotFoundError (with the download command) when it is not there."""
    if not names_a_preset(config.train.model):
        return None
    handle = resolve_handle(config.train.model)
    folder = cached_preset(handle)
    return LocalPreset(handle=handle, folder=folder, facts=read_preset(folder))


def source_for_preset(source: SourceConfig, preset: PresetChoice | None
                      ) -> tuple[SourceConfig, tuple[str, ...]]:
    """``[source]`` as the planner reads the images for ``preset``: stored at its input size
    (and, for a one-channel backbone, in gray); with the notes the plan prints."""
    if preset is None:
        return source, ()
    height, width = preset.image_size
    notes: tuple[str, ...] = ()
    if not source.image_size:
        why = ("the only size its backbone takes" if preset.fixed_size else
               "its image converter's (else 224); [source] image_size chooses another")
        notes = (f"images are stored at {height}x{width} for {preset.handle}: {why}",)
    channels = source.channels or (1 if preset.channels == 1 else 0)
    return dataclasses.replace(source, image_size=(height, width), channels=channels), notes
