"""run_dry_run: plan, build, run every kernel in its emulated tree, check, score, report.

The preprocessing kernels run in parallel (up to ``parallel``), then the train kernel with
every preprocessing output mounted the way Kaggle mounts kernel sources (with ``[train]
folds = K``: the K fold kernels, up to ``parallel`` at once, then the blend kernel with every
fold's output mounted). After each kernel the
dry run checks what Kaggle enforces: its inputs are unchanged (they are read-only there) and
its output stays under the cap. Any failure raises ``DryRunError`` naming the kernel.

A plan for a TPU shape is rehearsed: the train kernels run on as many forced JAX host devices
as the TPU has chips (``host.dryrun.rehearsal``). Before the train kernel runs, the
preprocessing outputs' rejected test rows are held against
``[competition] max_fallback_fraction`` (``shared.fallback``). A re-run resumes each
preprocessing kernel whose bundle is unchanged; the train kernel's earlier outputs stay until
a new run replaces them. A scoring error is recorded in ``report.json``, never lost with it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from host.bundle.build import build_kernels
from host.bundle.folder import KernelFolder
from host.dryrun.interpreter import check_kernel_python
from host.dryrun.lock import workdir_lock
from host.dryrun.mounted import finished_outputs, mounted_run, run_checked
from host.dryrun.options import SOLUTION_NAME, DryRunError, DryRunOptions
from host.dryrun.rehearsal import rehearsal_environment
from host.dryrun.rerun import run_rerun, trained_sources
from host.dryrun.runner import KernelRun
from host.machine_shapes import machine_shape
from host.dryrun.scoring import score_submission
from host.dryrun.tree import KernelTree, make_tree, mount_competition
from host.kernel_stages import KernelStages
from shared.blend import CV_NAME
from shared.fallback import FallbackRows
from shared.fold_files import FOLD_RECORD
from shared.inference import INFERENCE_NAME
from shared.store.atomic import write_text_atomic
from shared.store.manifest import MANIFEST_NAME, DatasetSpec, Manifest
from shared.tasks import Task, task_for

__all__ = ["DryRunOptions", "DryRunError", "run_dry_run", "SOLUTION_NAME"]


def _say(options: DryRunOptions, text: str) -> None:
    if options.echo is not None:
        options.echo.write(text + "\n")
        options.echo.flush()


def _planning_view(options: DryRunOptions) -> Path:
    """The competition as kernels see it: every top-level entry but the solution file."""
    tree = make_tree(options.workdir / "plan", "view")
    return mount_competition(tree, options.data_dir, options.config.competition.slug,
                             exclude=(SOLUTION_NAME,))


def _preprocess(built: KernelStages[KernelFolder], options: DryRunOptions) -> list[KernelRun]:
    def one(folder: KernelFolder) -> KernelRun:
        tree = make_tree(options.workdir / "kaggle", folder.slug,
                         resume_bundle=folder.fingerprint)
        mount_competition(tree, options.data_dir, options.config.competition.slug,
                          exclude=(SOLUTION_NAME,))
        return run_checked(folder, tree, options)

    with ThreadPoolExecutor(max_workers=options.parallel) as pool:
        return list(pool.map(one, built.preprocess))


def _check_fallback(outputs: list[Path], spec: DatasetSpec, options: DryRunOptions) -> None:
    """Too many test rows without an image: refused before the train kernel runs."""
    rejects = [r for output in outputs for r in Manifest.load(output / MANIFEST_NAME).rejects]
    FallbackRows.from_rejects(rejects, spec.split_rows.get("test", 0)).check(
        options.config.competition.max_fallback_fraction,
        outcome="the train kernel was not run")


def _train(built: KernelStages[KernelFolder], spec: DatasetSpec, options: DryRunOptions
           ) -> tuple[list[KernelRun], KernelTree]:
    """The train kernel, or the fold kernels (``parallel`` at a time) and then the blend;
    the tree of the one that writes the submission."""
    outputs = finished_outputs(built.preprocess, options, MANIFEST_NAME)
    _check_fallback(outputs, spec, options)
    with ThreadPoolExecutor(max_workers=options.parallel) as pool:
        done = list(pool.map(lambda k: mounted_run(k, built.preprocess, outputs, options),
                             built.trains))
    runs = [run for run, _ in done]
    if built.blend is None:
        return runs, done[0][1]
    folds = finished_outputs(built.trains, options, FOLD_RECORD)
    run, tree = mounted_run(built.blend, built.trains, folds, options)
    return runs + [run], tree


def _infer(built: KernelStages[KernelFolder], options: DryRunOptions) -> tuple[KernelRun,
                                                                                KernelTree]:
    """A code competition's inference kernel on the public data, the trained kernels'
    outputs mounted."""
    sources = trained_sources(built)
    outputs = finished_outputs(sources, options, INFERENCE_NAME)
    return mounted_run(built.infer, sources, outputs, options)


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _score(submission: Path, solution: Path, id_column: str, task: Task) -> dict:
    """The local score, or the reason there is none (the report is written either way)."""
    try:
        return {"local_score": score_submission(submission, solution, id_column, task)}
    except Exception as exc:  # noqa: BLE001 - any failure to score is reported, not raised
        detail = str(exc) if isinstance(exc, (ValueError, KeyError)) else \
            f"{type(exc).__name__}: {exc}"
        return {"local_score": None, "scoring_error": f"{solution} could not be scored: {detail}"}


def run_dry_run(options: DryRunOptions) -> dict:
    """Run the pipeline locally; returns (and writes) ``<workdir>/report.json``. One run per
    work folder at a time (``lock.workdir_lock``)."""
    with workdir_lock(options.workdir):
        return _run_dry_run(options)


def _run_dry_run(options: DryRunOptions) -> dict:
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
    if plan.choices.backend == "jax" and options.kernel_python:  # before any kernel runs
        check_kernel_python(options.kernel_python, also=("jax",))
    extra, rehearsal = rehearsal_environment(
        machine_shape(options.config.kaggle.machine_shape), os.environ)
    if rehearsal:
        _say(options, rehearsal)
        options = dataclasses.replace(options, accelerated_env=extra)
    built = build_kernels(plan, options.workdir / "kernels", owner=options.owner,
                          config=options.config)
    runs: list[KernelRun] = []
    report: dict = {"competition": options.config.competition.slug,
                    "workdir": str(options.workdir), "mounts": options.mounts,
                    "kernel_python": options.kernel_python or sys.executable,
                    "accelerated_env": dict(options.accelerated_env)}
    if options.only != "train":
        runs += _preprocess(built, options)
    if options.only != "preprocess":
        train_runs, tree = _train(built, plan.spec, options)
        runs += train_runs
        report["train_metrics"] = _read_json(tree.working / "metrics.json")
        cv = _read_json(tree.working / CV_NAME)
        if cv is not None:
            report["cv"] = cv
        if built.infer is not None:
            run, tree = _infer(built, options)
            runs.append(run)
            report["inference"] = _read_json(tree.working / "metrics.json")
        final = report.get("inference") or report["train_metrics"] or {}
        report["fallback"] = final.get("fallback")
        submission = tree.working / "submission.csv"
        report["submission"] = str(submission) if submission.is_file() else None
        task = task_for(plan.final.source)
        score = lambda sub, sol: _score(sub, sol, plan.final.source.id_column, task)  # noqa
        solution = options.data_dir / SOLUTION_NAME
        if submission.is_file() and solution.is_file():
            report.update(score(submission, solution))
        if options.rerun_data is not None:
            if built.infer is None:
                raise DryRunError("--rerun-data emulates the scoring rerun of a code "
                                  "competition: set [competition] submission = \"code\"")
            run, report["rerun"] = run_rerun(built, options, score)
            runs.append(run)
    report["kernels"] = [{**{k: v for k, v in asdict(r).items() if k != "log"},
                          "log": str(r.log)} for r in runs]
    write_text_atomic(options.workdir / "report.json", json.dumps(report, indent=2) + "\n")
    return report
