"""run_dry_run: plan, build, run every kernel in its emulated tree, check, score, report.

The preprocessing kernels run in parallel (up to ``parallel``), then the train kernel with
every preprocessing output mounted the way Kaggle mounts kernel sources (with ``[train]
folds = K``: the K fold kernels, up to ``parallel`` at once, then the blend kernel with every
fold's output mounted). After each kernel the
dry run checks what Kaggle enforces: its inputs are unchanged (they are read-only there) and
its output stays under the cap. Any failure raises ``DryRunError`` naming the kernel.

Before the train kernel runs, the preprocessing outputs' rejected test rows are held against
``[competition] max_fallback_fraction`` (``shared.fallback``). A re-run resumes each
preprocessing kernel whose bundle is unchanged; the train kernel's earlier outputs stay until
a new run replaces them. A scoring error is recorded in ``report.json``, never lost with it.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from host.bundle.build import build_kernels
from host.kernel_stages import KernelStages
from host.bundle.folder import KernelFolder
from host.dryrun.inputs import changes, snapshot
from host.dryrun.interpreter import check_kernel_python
from host.dryrun.runner import KernelRun, run_kernel
from host.dryrun.scoring import score_submission
from host.dryrun.tree import (MOUNT_STYLES, KernelTree, make_tree, mount_competition, mount_model,
                              mount_output, replacing_working)
from host.dryrun.workdir import check_workdir
from shared.blend import CV_NAME
from host.settings import HostConfig
from shared.units import format_size
from shared.fallback import FallbackRows
from shared.fold_files import FOLD_RECORD
from shared.store.atomic import write_text_atomic
from shared.store.manifest import MANIFEST_NAME, DatasetSpec, Manifest
from shared.tasks import Task, task_for

__all__ = ["DryRunOptions", "DryRunError", "run_dry_run", "SOLUTION_NAME"]

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
    echo: TextIO | None = field(default=sys.stdout, compare=False)

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


def _preprocess(built: KernelStages[KernelFolder], options: DryRunOptions) -> list[KernelRun]:
    def one(folder: KernelFolder) -> KernelRun:
        tree = make_tree(options.workdir / "kaggle", folder.slug,
                         resume_bundle=folder.fingerprint)
        mount_competition(tree, options.data_dir, options.config.competition.slug,
                          exclude=(SOLUTION_NAME,))
        return _run_checked(folder, tree, options)

    with ThreadPoolExecutor(max_workers=options.parallel) as pool:
        return list(pool.map(one, built.preprocess))


def _outputs(folders: tuple[KernelFolder, ...], options: DryRunOptions,
             marker: str) -> list[Path]:
    """The finished output folder of each of ``folders`` (``marker`` shows it finished)."""
    outputs = []
    for folder in folders:
        output = options.workdir / "kaggle" / folder.slug / "working"
        if not (output / marker).is_file():
            kind = "preprocessing" if folder.role == "preprocess" else "fold"
            raise DryRunError(f"no finished output of {folder.slug} in {output}: run the "
                              f"{kind} kernels first"
                              + (" (without --only train)" if kind == "preprocessing" else ""))
        outputs.append(output)
    return outputs


def _check_fallback(outputs: list[Path], spec: DatasetSpec, options: DryRunOptions) -> None:
    """Too many test rows without an image: refused before the train kernel runs."""
    rejects = [r for output in outputs for r in Manifest.load(output / MANIFEST_NAME).rejects]
    FallbackRows.from_rejects(rejects, spec.split_rows.get("test", 0)).check(
        options.config.competition.max_fallback_fraction,
        outcome="the train kernel was not run")


def _mounted_run(folder: KernelFolder, sources: tuple[KernelFolder, ...], outputs: list[Path],
                 options: DryRunOptions) -> tuple[KernelRun, KernelTree]:
    """Run ``folder`` with the competition and ``outputs`` (of ``sources``) mounted; its
    earlier outputs stay until the new run succeeds."""
    tree = make_tree(options.workdir / "kaggle", folder.slug, clear_working=False)
    mount_competition(tree, options.data_dir, options.config.competition.slug,
                      exclude=(SOLUTION_NAME,))
    for source, output in zip(sources, outputs):
        mount_output(tree, output, owner=options.owner, slug=source.slug,
                     mounts=options.mounts)
    models = folder.metadata().get("model_sources", [])
    if models:  # presets, from kagglehub's cache (imported here, as the planner is)
        from host.planning.presets import cached_preset
        from shared.models.handles import ModelHandle

        for handle in models:
            mount_model(tree, handle, cached_preset(ModelHandle.parse(handle)),
                        mounts=options.mounts)
    with replacing_working(tree):
        return _run_checked(folder, tree, options), tree


def _train(built: KernelStages[KernelFolder], spec: DatasetSpec, options: DryRunOptions
           ) -> tuple[list[KernelRun], KernelTree]:
    """The train kernel, or the fold kernels (``parallel`` at a time) and then the blend;
    the tree of the one that writes the submission."""
    outputs = _outputs(built.preprocess, options, MANIFEST_NAME)
    _check_fallback(outputs, spec, options)
    with ThreadPoolExecutor(max_workers=options.parallel) as pool:
        done = list(pool.map(lambda k: _mounted_run(k, built.preprocess, outputs, options),
                             built.trains))
    runs = [run for run, _ in done]
    if built.blend is None:
        return runs, done[0][1]
    folds = _outputs(built.trains, options, FOLD_RECORD)
    run, tree = _mounted_run(built.blend, built.trains, folds, options)
    return runs + [run], tree


def _score(submission: Path, solution: Path, id_column: str, task: Task) -> dict:
    """The local score, or the reason there is none (the report is written either way)."""
    try:
        return {"local_score": score_submission(submission, solution, id_column, task)}
    except Exception as exc:  # noqa: BLE001 - any failure to score is reported, not raised
        detail = str(exc) if isinstance(exc, (ValueError, KeyError)) else \
            f"{type(exc).__name__}: {exc}"
        return {"local_score": None, "scoring_error": f"{solution} could not be scored: {detail}"}


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
    view = _planning_view(options)
    try:
        plan = make_plan(options.config, view)
    except (ValueError, OSError) as exc:  # name the user's folder, not the emulated view
        exc.args = tuple(a.replace(str(view), str(options.data_dir)) if isinstance(a, str)
                         else a for a in exc.args)
        raise
    _say(options, plan.table())
    built = build_kernels(plan, options.workdir / "kernels", owner=options.owner,
                          config=options.config)
    runs: list[KernelRun] = []
    report: dict = {"competition": options.config.competition.slug,
                    "workdir": str(options.workdir), "mounts": options.mounts,
                    "kernel_python": options.kernel_python or sys.executable}
    if options.only != "train":
        runs += _preprocess(built, options)
    if options.only != "preprocess":
        train_runs, tree = _train(built, plan.spec, options)
        runs += train_runs
        metrics = tree.working / "metrics.json"
        submission = tree.working / "submission.csv"
        report["train_metrics"] = json.loads(metrics.read_text()) if metrics.is_file() else None
        report["fallback"] = (report["train_metrics"] or {}).get("fallback")
        report["submission"] = str(submission) if submission.is_file() else None
        cv = tree.working / CV_NAME
        if cv.is_file():
            report["cv"] = json.loads(cv.read_text())
        solution = options.data_dir / SOLUTION_NAME
        if submission.is_file() and solution.is_file():
            report.update(_score(submission, solution, plan.final.source.id_column,
                                 task_for(plan.final.source)))
    report["kernels"] = [{**{k: v for k, v in asdict(r).items() if k != "log"},
                          "log": str(r.log)} for r in runs]
    write_text_atomic(options.workdir / "report.json", json.dumps(report, indent=2) + "\n")
    return report
