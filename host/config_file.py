"""Reading ``pipeline.toml`` on the user's machine (kernels get the settings baked in), and
one-setting overrides from a command line (``--set source.channels=3``).

Beyond each table's own checks, a loaded config is checked against the registries: the task
kind and the model family it names must exist, and the training settings must fit the model
and the machine (``check_config``: e.g. TensorFlow on a TPU shape), so a wrong name or a
setting that cannot work is refused when the file is read, naming the file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Iterable

from host.machine_shapes import machine_shape
from host.settings import HostConfig
from shared.sources.layouts import layout_kind
from shared.tasks import task_kind
from shared.training.machine import DEFAULT_MACHINE
from shared.training.settings import check_train_settings

__all__ = ["load_config", "parse_override", "apply_overrides", "check_config"]


def parse_override(text: str) -> tuple[str, str, object]:
    """``"source.channels=3"`` -> ``("source", "channels", 3)``: the value read as TOML, or
    as text when it is a bare word (``resize=pad``)."""
    key, sep, value = text.partition("=")
    table, dot, name = key.strip().partition(".")
    if not sep or not dot or not table or not name.strip():
        raise ValueError(f"--set {text!r}: expected TABLE.KEY=VALUE, e.g. "
                         "--set 'source.image_size=[224, 224]'")
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return table, name.strip(), parsed


def apply_overrides(config: HostConfig, overrides: Iterable[str]) -> HostConfig:
    """``config`` with each ``TABLE.KEY=VALUE`` applied (and validated like the file)."""
    for text in overrides:
        table, name, value = parse_override(text)
        config = config.replace(**{table: {name: value}})
    check_config(config)
    return config


def check_config(config: HostConfig, origin: str = "") -> HostConfig:
    """ValueError (prefixed with ``origin``, the file) when a name is not registered or the
    training settings cannot work together (on the machine of ``[kaggle] machine_shape``; a
    runtime-only ``PipelineConfig`` names none: the default machine); returns ``config``."""
    try:
        if config.competition.task != "auto":
            task_kind(config.competition.task)
        if config.source.layout != "auto":
            layout_kind(config.source.layout)
        kaggle = getattr(config, "kaggle", None)  # a runtime-only config names no machine
        check_train_settings(config, machine_shape(kaggle.machine_shape).target() if kaggle
                             else DEFAULT_MACHINE)
    except ValueError as exc:
        raise ValueError(f"{origin}: {exc}" if origin else str(exc)) from None
    return config


def load_config(path: str | Path = "pipeline.toml") -> HostConfig:
    """Read a ``pipeline.toml``; relative ``data_dir`` is resolved against the file's folder."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {path} not found: copy pipeline.toml from the "
                                "repository root or pass --config PATH")
    with path.open("rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from None
    try:
        config = HostConfig.from_dict(data, origin=str(path))
    except ValueError as exc:  # a value's own check: name the file too
        text = str(exc)
        raise ValueError(text if text.startswith(str(path)) else f"{path}: {text}") from None
    config = check_config(config, str(path))
    data_dir = Path(config.competition.data_dir)
    if config.competition.data_dir and not data_dir.is_absolute():
        config = config.replace(competition={"data_dir": str((path.parent / data_dir).resolve())})
    return config
