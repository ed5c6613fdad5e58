"""Kaggle's scoring rerun, emulated: the inference kernel again, on a hidden competition folder.

To score a code competition Kaggle re-runs the submitted notebook with the competition folder
swapped for a hidden one (the same train files, the whole test set, a ``sample_submission.csv``
listing every hidden row), its other inputs unchanged, ``KAGGLE_IS_COMPETITION_RERUN`` set and
no internet. ``run_rerun`` does the same with ``--rerun-data DIR``: DIR is mounted where the
competition was, only the inference kernel runs (in a tree of its own, so its submission is
kept apart from the public run's), offline where this machine can cut the network, and the
submission is scored when DIR holds a ``solution.csv``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from host.bundle.folder import KernelFolder
from host.dryrun.mounted import finished_outputs, mounted_run
from host.dryrun.offline import offline_prefix
from host.dryrun.options import SOLUTION_NAME, DryRunOptions
from host.dryrun.runner import KernelRun
from host.kernel_stages import KernelStages
from shared.inference import INFERENCE_NAME, RERUN_ENV

__all__ = ["run_rerun", "trained_sources"]


def trained_sources(built: KernelStages[KernelFolder]) -> tuple[KernelFolder, ...]:
    """The kernels whose outputs the inference kernel mounts, in its metadata's order."""
    return (*built.trains, *((built.blend,) if built.blend is not None else ()))


def run_rerun(built: KernelStages[KernelFolder], options: DryRunOptions,
              score: Callable[[Path, Path], dict]) -> tuple[KernelRun, dict]:
    """The inference kernel on ``options.rerun_data``; its run and the report's ``rerun``
    entry (``score(submission, solution)`` gives the local score)."""
    data = Path(options.rerun_data)
    sources = trained_sources(built)
    outputs = finished_outputs(sources, options, INFERENCE_NAME)
    offline = bool(offline_prefix())
    run, tree = mounted_run(built.infer, sources, outputs, options, data_dir=data,
                            name=f"{built.infer.slug}-rerun", env={RERUN_ENV: "1"},
                            offline=offline)
    metrics = json.loads((tree.working / "metrics.json").read_text())
    submission = tree.working / "submission.csv"
    entry = {"data": str(data), "submission": str(submission), "rows": metrics["test_rows"],
             "seconds": metrics["predict_seconds"], "images_per_s": metrics["images_per_s"],
             "wall_seconds": run.wall_seconds, "fallback": metrics["fallback"],
             "network": "cut (own network namespace)" if offline else
             "not cut: unshare is not available here"}
    solution = data / SOLUTION_NAME
    if solution.is_file():
        entry.update(score(submission, solution))
    return run, entry
