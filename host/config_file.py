"""Reading ``pipeline.toml`` on the user's machine (kernels get the settings baked in)."""

from __future__ import annotations

from pathlib import Path

from shared.config import PipelineConfig

__all__ = ["load_config"]


def load_config(path: str | Path = "pipeline.toml") -> PipelineConfig:
    """Read a ``pipeline.toml``; relative ``data_dir`` is resolved against the file's folder."""
    import tomllib

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
