"""Keras presets on disk: what one holds (``read_preset``), where a kernel finds it
(``find_preset``), and what loading a model built on one needs (``enable_preset_loading``).

A preset is a folder that ``keras_hub``'s ``save_to_preset`` wrote: ``config.json`` (the
backbone's class and arguments), ``model.weights.h5``, ``metadata.json`` (the parameter count)
and, for an image model, ``image_converter.json`` (the input size, and the ``scale`` and
``offset`` its weights were trained with). ``read_preset`` reads the JSON files alone, without
Keras: the planner reads the local copy with it, and a kernel checks the mounted copy against
the plan. Kaggle mounts a model source read-only under ``/kaggle/input``, at a depth that has
changed over time: ``find_preset`` searches by the handle's last four parts and never
downloads. Any kernel that builds or loads such a model (train, fold, inference) uses these.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.models.handles import ModelHandle

__all__ = ["PresetFacts", "read_preset", "find_preset", "enable_preset_loading",
           "CONFIG_FILE", "WEIGHTS_FILE", "CONVERTER_FILE", "METADATA_FILE"]

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
CONVERTER_FILE = "image_converter.json"
METADATA_FILE = "metadata.json"
_SEARCH_DEPTHS = ("", "*/", "*/*/", "*/*/*/")  # leading folders before <model>/...


def _numbers(value: Any, what: str) -> tuple[float, ...] | None:
    if value is None:
        return None
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                             for v in values):
        raise ValueError(f"{what} = {value!r}: expected a number or one per channel")
    return tuple(float(v) for v in values)


@dataclass(frozen=True)
class PresetFacts:
    """What a preset folder says about itself (see the module docstring)."""

    backbone: str  # the keras_hub class of config.json, e.g. ResNetBackbone
    input_shape: tuple[int | None, int | None, int]  # from config.json; None: any size
    parameters: int = 0  # metadata.json's parameter_count; 0 when it says nothing
    converter: bool = False  # whether image_converter.json is there
    image_size: tuple[int, int] | None = None  # the converter's (height, width)
    scale: tuple[float, ...] | None = None  # x = pixel * scale + offset; None: 1
    offset: tuple[float, ...] | None = None  # None: 0
    keras_hub_version: str = ""

    @property
    def fixed_size(self) -> tuple[int, int] | None:
        """The only (height, width) the backbone takes, or None when it takes any."""
        height, width = self.input_shape[:2]
        return (height, width) if height is not None and width is not None else None

    @property
    def channels(self) -> int:
        return self.input_shape[2]


def _load(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: unreadable ({exc}); download the preset again") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object; download the preset again")
    return data


def _input_shape(config: dict, path: Path) -> tuple[int | None, int | None, int]:
    shape = config.get("image_shape", config.get("input_shape", (None, None, 3)))
    if not isinstance(shape, (list, tuple)) or len(shape) != 3 or not isinstance(shape[2], int):
        raise ValueError(f"{path}: image_shape {shape!r}: expected (height, width, channels) "
                         "of an image backbone, channels last; is this an image model?")
    return (shape[0], shape[1], shape[2])


def read_preset(folder: str | os.PathLike) -> PresetFacts:
    """The facts of the preset in ``folder`` (FileNotFoundError when it is not one)."""
    folder = Path(folder)
    missing = [n for n in (CONFIG_FILE, WEIGHTS_FILE) if not (folder / n).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} is not a complete Keras preset: {', '.join(missing)} "
                                f"missing (expected {CONFIG_FILE}, {WEIGHTS_FILE}, "
                                f"{METADATA_FILE}); download it again")
    config = _load(folder / CONFIG_FILE)
    args = config.get("config") if isinstance(config.get("config"), dict) else {}
    metadata = _load(folder / METADATA_FILE) if (folder / METADATA_FILE).is_file() else {}
    facts: dict[str, Any] = dict(
        backbone=str(config.get("class_name", "")),
        input_shape=_input_shape(args, folder / CONFIG_FILE),
        parameters=int(metadata.get("parameter_count") or 0),
        keras_hub_version=str(metadata.get("keras_hub_version", "")))
    if (folder / CONVERTER_FILE).is_file():
        converter = _load(folder / CONVERTER_FILE).get("config") or {}
        size = converter.get("image_size")
        where = folder / CONVERTER_FILE
        facts.update(converter=True, scale=_numbers(converter.get("scale"), f"{where}: scale"),
                     offset=_numbers(converter.get("offset"), f"{where}: offset"),
                     image_size=tuple(int(v) for v in size) if size else None)
    return PresetFacts(**facts)


def find_preset(handle: str | ModelHandle, root: str | os.PathLike) -> Path:
    """The one folder under ``root`` holding the preset ``handle`` (a mounted model source):
    its path ends in ``<model>/<framework>/<variation>/<version>`` and it holds config.json.
    FileNotFoundError when none is there, ValueError when two are."""
    handle = handle if isinstance(handle, ModelHandle) else ModelHandle.parse(handle)
    tail = "/".join(handle.mount_tail)
    found: dict[str, Path] = {}
    for depth in _SEARCH_DEPTHS:
        for config in sorted(Path(root).glob(f"{depth}{tail}/{CONFIG_FILE}")):
            found.setdefault(os.path.realpath(config.parent), config.parent)
    if len(found) > 1:
        raise ValueError(f"the preset {handle} is mounted twice under {root}: "
                         f"{', '.join(map(str, found.values()))}; attach it once "
                         "(model_sources in kernel-metadata.json)")
    if not found:
        raise FileNotFoundError(
            f"the preset {handle} is not mounted: no folder ending in {tail} with a "
            f"{CONFIG_FILE} under {root} (searched {len(_SEARCH_DEPTHS) - 1} levels down). "
            "Attach it as a model source (model_sources in kernel-metadata.json, which "
            "scripts/push.py and the dry run fill in from [train] model); kernels run without "
            "internet and never download weights")
    return next(iter(found.values()))


def enable_preset_loading() -> Any:
    """Import keras_hub and register this project's layers, so that ``load_model`` reads a
    model built on a preset (a checkpoint, ``model.keras``); returns the keras_hub module."""
    try:
        import keras_hub
    except ImportError as exc:
        raise ImportError(
            f"keras_hub cannot be imported ({exc}): a model built on a Kaggle Models preset "
            "needs it. Kaggle's image has it; locally `make env` installs it (see "
            "requirements-nodeps.txt)") from exc
    import shared.models._keras_layers  # noqa: F401  (registers the layers by name)

    return keras_hub
