"""run_dry_run: plan, build, run every kernel in its emulated tree, check, score, report.

The preprocessing kernels run in parallel (up to ``parallel``), then the train kernel with
every preprocessing output mounted the way Kaggle mounts kernel sources. After each kernel the
dry run checks what Kaggle enforces: its inputs are unchanged (they are read-only there) and
its output stays under the cap. Any failure raises ``DryRunError`` naming the kernel.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from host.bundle.build import BuiltKernels, build_kernels
from host.bundle.folder import KernelFolder
from shared.config import PipelineConfig, format_size
from host.dryrun.inputs import changes, snapshot
from host.dryrun.interpreter import check_kernel_python
from host.dryrun.runner import KernelRun, run_kernel
from host.dryrun.scoring import score_accuracy
from host.dryrun.tree import LAYOUTS, KernelTree, make_tree, mount_competition, mount_output

__all__ = ["DryRunOptions", "DryRunError", "run_dry_run", "SOLUTION_NAME"]

SOLUTION_NAME = "solution.csv"
KAGGLE_OUTPUT_CAP = 20 * 10**9


class DryRunError(RuntimeError):
    """A kernel failed, broke a Kaggle limit, or the dry run could not start."""


@dataclass(frozen=True)
class DryRunOptions:
    """What to run and under which limits."""

    config: PipelineConfig
    data_dir: Path
    workdir: Path
    only: str = ""  # "", "preprocess" or "train"
    layout: str = "notebooks"
    parallel: int = 2
    output_cap: int = KAGGLE_OUTPUT_CAP
    owner: str = "dry-run"
    verify_input: str = "stat"  # stat: sizes and modification times; full: content hashes
    kernel_python: str = ""  # the interpreter that runs the kernels; "" = this one
    echo: TextIO | None = field(default=sys.stdout, compare=False)

    def __post_init__(self) -> None:
        if self.only not in ("", "preprocess", "train"):
            raise ValueError(f"only={self.only!r}: expected 'preprocess' or 'train'")
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout={self.layout!r}: expected one of {', '.join(LAYOUTS)}")
        if self.parallel < 1 or self.output_cap < 1:
            raise ValueError("parallel and output_cap must be positive")
        if self.verify_input not in ("full", "stat"):
            raise ValueError(f"verify_input={self.verify_input!r}: expected 'full' or 'stat'")
        if not Path(self.data_dir).is_dir():
            raise FileNotFoundError(
                f"competition data folder {self.data_dir} not found: pass --data DIR holding "
                "the files of 'kaggle competitions download' (unzipped)")


def _say(options: DryRunOptions, text: str) -> None:
    if options.echo is not None:
        options.echo.write(text + "\n")
        options.echo.flush()


def _planning_view(options: DryRunOptions) -> Path:
    """The competition as kernels see it: every top-level entry but the solution file."""
    tree = make_tree(options.workdir / "plan", "view")
    return mount_competition(tree, options.data_dir, options.config.competition.slug,
                             exclude=(SOLUTION_NAME,))


def _run_checked(folder: KernelFolder, tree: KernelTree, options: DryRunOptions) -> KernelRun:
    before = snapshot(tree.input, content=options.verify_input == "full")
    run = run_kernel(folder, tree, log_dir=options.workdir / "logs", echo=options.echo,
                     python=options.kernel_python)
    if run.exit_status != 0:
        raise DryRunError(f"kernel {folder.slug} failed with exit status {run.exit_status}; "
                          f"the end of its log ({run.log}):\n{run.log_tail()}")
    changed = changes(before, snapshot(tree.input, content=options.verify_input == "full"))
    if changed:
        raise DryRunError(f"kernel {folder.slug} modified its read-only input ("
                          + "; ".join(changed) + "): Kaggle inputs cannot be written, write "
                          "to the working directory instead")
    if run.output_bytes > options.output_cap:
        raise DryRunError(f"kernel {folder.slug} wrote {format_size(run.output_bytes)} to "
                          f"{tree.working}, over the output cap of "
                          f"{format_size(options.output_cap)}: lower [plan] kernel_budget "
                          "(or --disk-budget) so the planner gives each kernel fewer rows")
    return run


def _preprocess(built: BuiltKernels, options: DryRunOptions) -> list[KernelRun]:
    def one(folder: KernelFolder) -> KernelRun:
        tree = make_tree(options.workdir / "kaggle", folder.slug)
        mount_competition(tree, options.data_dir, options.config.competition.slug,
                          exclude=(SOLUTION_NAME,))
        return _run_checked(folder, tree, options)

    with ThreadPoolExecutor(max_workers=options.parallel) as pool:
        return list(pool.map(one, built.preprocess))


def _train(built: BuiltKernels, options: DryRunOptions) -> tuple[KernelRun, KernelTree]:
    tree = make_tree(options.workdir / "kaggle", built.train.slug)
    mount_competition(tree, options.data_dir, options.config.competition.slug,
                      exclude=(SOLUTION_NAME,))
    for folder in built.preprocess:
        output = options.workdir / "kaggle" / folder.slug / "working"
        if not (output / "manifest.json").is_file():
            raise DryRunError(f"no finished output of {folder.slug} in {output}: run the "
                              "preprocessing kernels first (without --only train)")
        mount_output(tree, output, owner=options.owner, slug=folder.slug,
                     layout=options.layout)
    return _run_checked(built.train, tree, options), tree


def run_dry_run(options: DryRunOptions) -> dict:
    """Run the pipeline locally; returns (and writes) ``<workdir>/report.json``."""
    from host.planning import make_plan

    if options.kernel_python:
        python = check_kernel_python(options.kernel_python)
        _say(options, f"kernels run with {python.path} (Python {python.version})")
        if python.has_project:
            _say(options, f"note: {python.path} has this project installed, so a kernel could "
                 "import our code from there instead of its bundle (Kaggle has no such copy)")
        options = dataclasses.replace(options, kernel_python=python.path)
    options.workdir.mkdir(parents=True, exist_ok=True)
    plan = make_plan(options.config, _planning_view(options))
    _say(options, plan.table())
    built = build_kernels(plan.preprocess, plan.train, options.workdir / "kernels",
                          owner=options.owner, config=options.config)
    runs: list[KernelRun] = []
    report: dict = {"competition": options.config.competition.slug,
                    "workdir": str(options.workdir), "layout": options.layout,
                    "kernel_python": options.kernel_python or sys.executable}
    if options.only != "train":
        runs += _preprocess(built, options)
    if options.only != "preprocess":
        train_run, tree = _train(built, options)
        runs.append(train_run)
        metrics = tree.working / "metrics.json"
        submission = tree.working / "submission.csv"
        report["train_metrics"] = json.loads(metrics.read_text()) if metrics.is_file() else None
        report["submission"] = str(submission) if submission.is_file() else None
        solution = options.data_dir / SOLUTION_NAME
        if submission.is_file() and solution.is_file():
            report["local_score"] = {"metric": "accuracy", "value": round(score_accuracy(
                submission, solution, plan.train.source.id_column,
                plan.train.source.submission_label_column), 5)}
    report["kernels"] = [{**{k: v for k, v in asdict(r).items() if k != "log"},
                          "log": str(r.log)} for r in runs]
    (options.workdir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report
