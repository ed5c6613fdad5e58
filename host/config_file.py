"""Reading ``pipeline.toml`` on the user's machine (kernels get the settings baked in), and
one-setting overrides from a command line (``--set source.channels=3``)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Iterable

from shared.config import PipelineConfig

__all__ = ["load_config", "parse_override", "apply_overrides"]


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


def apply_overrides(config: PipelineConfig, overrides: Iterable[str]) -> PipelineConfig:
    """``config`` with each ``TABLE.KEY=VALUE`` applied (and validated like the file)."""
    for text in overrides:
        table, name, value = parse_override(text)
        config = config.replace(**{table: {name: value}})
    return config


def load_config(path: str | Path = "pipeline.toml") -> PipelineConfig:
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
    config = PipelineConfig.from_dict(data, origin=str(path))
    data_dir = Path(config.competition.data_dir)
    if config.competition.data_dir and not data_dir.is_absolute():
        config = config.replace(competition={"data_dir": str((path.parent / data_dir).resolve())})
    return config
