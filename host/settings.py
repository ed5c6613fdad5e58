"""Settings only the user's machine reads: ``[kaggle]``, how the push drives Kaggle.

``HostConfig`` is the runtime's ``PipelineConfig`` plus the ``[kaggle]`` table; it is what
``host.config_file.load_config`` returns. Kernels never carry it: a kernel bakes in
``PipelineConfig.only(...)`` of the tables its role reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from host.machine_shapes import check_shape
from shared.checks import check_choice, check_int, check_number
from shared.choices import INFER_ACCELERATORS
from shared.config import PipelineConfig

__all__ = ["KaggleConfig", "HostConfig"]


def _positive(name: str, value, *, allow_zero: bool = False) -> None:
    check_int(f"[kaggle] {name}", value, minimum=0 if allow_zero else 1)


@dataclass(frozen=True)
class KaggleConfig:
    """Kernel ids, visibility and how the push script drives Kaggle."""

    owner: str = ""  # "" = the user name in the credentials
    slug_prefix: str = ""  # "" = the competition slug
    machine_shape: str = "NvidiaTeslaT4"  # the train kernels' machine (host.machine_shapes)
    is_private: bool = True
    enable_internet: bool = False
    max_concurrent: int = 2  # preprocessing kernels running at once
    max_concurrent_gpu: int = 2  # fold kernels (GPU) running at once; Kaggle allows about 2
    poll_interval: float = 30.0
    timeout_minutes: float = 720.0
    max_poll_interval: float = 300.0  # polling backs off up to this interval
    settle_seconds: float = 60.0  # trust a finished status seen before the run was seen active
    retries: int = 5  # extra attempts after HTTP 429, 5xx or a timeout
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 60.0
    request_timeout: float = 120.0  # seconds one HTTP request may take
    output_dir: str = "kaggle-output"  # where the train kernel's outputs are downloaded
    # code competitions: the inference kernel (the one Kaggle re-runs to score) runs on
    # machine_shape's GPU, or on the CPU (code competitions set separate CPU and GPU limits)
    infer_accelerator: str = "gpu"

    def __post_init__(self) -> None:
        _positive("max_concurrent", self.max_concurrent)
        _positive("max_concurrent_gpu", self.max_concurrent_gpu)
        _positive("retries", self.retries, allow_zero=True)
        for name in ("poll_interval", "timeout_minutes", "max_poll_interval",
                     "retry_base_seconds", "retry_max_seconds", "request_timeout"):
            check_number(f"[kaggle] {name}", getattr(self, name), above=0.0)
        check_number("[kaggle] settle_seconds", self.settle_seconds, at_least=0.0)
        if self.owner and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", self.owner):
            raise ValueError(f"[kaggle] owner = {self.owner!r}: expected your Kaggle user name "
                             "(letters, digits, '-' or '_'), or \"\" to take it from the "
                             "credentials")
        if self.slug_prefix and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", self.slug_prefix):
            raise ValueError(f"[kaggle] slug_prefix = {self.slug_prefix!r}: expected lowercase "
                             "letters, digits and '-', e.g. 'fmnist'")
        if not isinstance(self.machine_shape, str):
            raise ValueError(f"[kaggle] machine_shape = {self.machine_shape!r}: expected an "
                             "accelerator name such as 'NvidiaTeslaT4' (GPU T4 x2)")
        check_shape(self.machine_shape)  # retired and unknown shapes: host.machine_shapes
        check_choice("[kaggle] infer_accelerator", self.infer_accelerator, INFER_ACCELERATORS)
        if not self.output_dir:
            raise ValueError("[kaggle] output_dir is empty: name a folder for the downloaded "
                             "outputs, e.g. 'kaggle-output'")


@dataclass(frozen=True)
class HostConfig(PipelineConfig):
    """Every table of ``pipeline.toml``: the runtime's settings and ``[kaggle]``."""

    kaggle: KaggleConfig = field(default_factory=KaggleConfig)
