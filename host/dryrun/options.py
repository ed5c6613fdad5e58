"""What a dry run runs, under which limits (``DryRunOptions``), and how it fails."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from host.dryrun.tree import MOUNT_STYLES
from host.dryrun.workdir import check_workdir
from host.settings import HostConfig

__all__ = ["DryRunOptions", "DryRunError", "SOLUTION_NAME", "KAGGLE_OUTPUT_CAP"]

SOLUTION_NAME = "solution.csv"
KAGGLE_OUTPUT_CAP = 20 * 10**9


class DryRunError(RuntimeError):
    """A kernel failed, broke a Kaggle limit, or the dry run could not start."""


@dataclass(frozen=True)
class DryRunOptions:
    """What to run and under which limits."""

    config: HostConfig
    data_dir: Path
    workdir: Path
    only: str = ""  # "", "preprocess" or "train"
    mounts: str = "notebooks"  # how kernel outputs are mounted: notebooks or legacy
    parallel: int = 2
    output_cap: int = KAGGLE_OUTPUT_CAP
    owner: str = "dry-run"
    verify_input: str = "stat"  # stat: sizes and modification times; full: content hashes
    kernel_python: str = ""  # the interpreter that runs the kernels; "" = this one
    # a code competition's hidden folder: after the run, the inference kernel runs again on it
    # as Kaggle's scoring rerun does (see host.dryrun.rerun)
    rerun_data: Path | None = None
    echo: TextIO | None = field(default=sys.stdout, compare=False)
    # added to the environment of the kernels that run on the accelerator (a TPU rehearsal's
    # forced JAX devices: host.dryrun.rehearsal); run_dry_run fills it in
    accelerated_env: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.only not in ("", "preprocess", "train"):
            raise ValueError(f"only={self.only!r}: expected 'preprocess' or 'train'")
        if self.mounts not in MOUNT_STYLES:
            raise ValueError(f"mounts={self.mounts!r}: expected one of "
                             f"{', '.join(MOUNT_STYLES)}")
        if self.parallel < 1 or self.output_cap < 1:
            raise ValueError("parallel and output_cap must be positive")
        if self.verify_input not in ("full", "stat"):
            raise ValueError(f"verify_input={self.verify_input!r}: expected 'full' or 'stat'")
        if not Path(self.data_dir).is_dir():
            raise FileNotFoundError(
                f"competition data folder {self.data_dir} not found: pass --data DIR holding "
                "the files of 'kaggle competitions download' (unzipped)")
        check_workdir(self.workdir, self.data_dir)
        if self.rerun_data is not None and not Path(self.rerun_data).is_dir():
            raise FileNotFoundError(
                f"--rerun-data {self.rerun_data} is not a folder: give a whole competition "
                "folder as Kaggle swaps it in to score (the train files, the hidden test "
                "images and the full sample_submission.csv)")
