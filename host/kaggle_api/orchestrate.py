"""Drive one pipeline run on Kaggle: preprocessing kernels, then the train kernel (or the fold
kernels, then the blend kernel), then submit.

``run_push`` needs only the kernel folders (a ``KernelSet``) and an authenticated
``KaggleService``. It checks every folder before the first upload, runs at most
``max_concurrent`` preprocessing kernels at once, waits for each (``RunWatch``), pushes the
train kernel (or the fold kernels, at most ``max_concurrent_gpu`` at once, and then the blend
kernel), downloads the last one's outputs and, if asked, submits: only a run whose training
finished (``train_runs.py``); one stopped by the time limit is continued with
``continue_training``; nor one whose test rows without an image (``fallback`` in its
``metrics.json``) exceed ``[competition] max_fallback_fraction``. Any failure raises
``PushFailed`` whose report says what finished, so that a re-run (with ``--skip-unchanged``)
picks up there.
"""

from __future__ import annotations

import time
import traceback
from collections import deque
from pathlib import Path
from typing import Callable

from host.bundle.folder import KernelFolder
from host.kaggle_api.credentials import Credentials, find_secret_leaks
from host.kaggle_api.kernel_set import KernelSet
from host.kaggle_api.metadata import MetadataRules, validate_kernels
from host.kaggle_api.outputs import download_outputs, latest_bundle_fingerprint, log_tail
from host.kaggle_api.push_types import KernelOutcome, PushFailed, PushOptions, PushReport
from host.kaggle_api.retry import RetriesExhausted
from host.kaggle_api.scoring import await_score, check_later
from host.kaggle_api.service import KaggleCallError, KaggleService, SubmissionUnknown
from host.kaggle_api.train_runs import (METRICS_NAME, STATE_NAME, TrainingUnfinished,
                                        load_metrics, load_train_run, read_train_run,
                                        unfinished_message)
from host.kaggle_api.waiting import RunWatch
from shared.fallback import FallbackRefused, FallbackRows

__all__ = ["PushOptions", "KernelOutcome", "PushReport", "PushFailed", "preflight", "run_push"]

SUBMISSION_FILE = "submission.csv"


def preflight(kernels: KernelSet, rules: MetadataRules, credentials: Credentials | None) -> None:
    """Every check that needs no network: metadata rules, and no credentials in any folder."""
    validate_kernels(kernels.preprocess, kernels.trains, rules, kernels.blend, kernels.infer)
    if credentials is not None:
        leaks = [leak for k in kernels.kernels for leak in find_secret_leaks(k.path, credentials)]
        if leaks:
            raise ValueError("credentials found in the kernel folders, nothing was uploaded: "
                             + "; ".join(leaks) + ". Remove them and rebuild the kernels")


class _Runner:
    def __init__(self, service: KaggleService, kernels: KernelSet, owner: str,
                 options: PushOptions, say: Callable[[str], None]) -> None:
        self.service, self.kernels, self.owner = service, kernels, owner
        self.options, self.say = options, say
        self.report = PushReport()
        self.errors: list[str] = []

    def kernel_id(self, kernel: KernelFolder) -> str:
        return f"{self.owner}/{kernel.slug}"

    def outcome(self, kernel: KernelFolder, state: str, version: int | None = None,
                detail: str = "") -> None:
        self.report.outcomes.append(KernelOutcome(self.kernel_id(kernel), state, version, detail))

    def unchanged(self, kernel: KernelFolder) -> bool:
        fingerprint = latest_bundle_fingerprint(self.service, self.kernel_id(kernel))
        if fingerprint and fingerprint == kernel.fingerprint:
            self.say(f"{self.kernel_id(kernel)}: unchanged (bundle {fingerprint[:12]}), not re-run")
            self.outcome(kernel, "skipped", detail="unchanged")
            return True
        return False

    def run_batch(self, batch: list[KernelFolder], limit: int) -> dict[str, RunWatch]:
        """Push and wait for ``batch``, at most ``limit`` at once; the completed runs."""
        queue: deque[KernelFolder] = deque(batch)
        active: list[tuple[KernelFolder, RunWatch]] = []
        done: dict[str, RunWatch] = {}
        try:
            while queue or active:
                while queue and len(active) < limit and not self.errors:
                    kernel = queue.popleft()
                    try:
                        pushed = self.service.push(kernel)
                    except (KaggleCallError, RetriesExhausted, ValueError) as exc:
                        self.outcome(kernel, "failed", detail="push failed")
                        self.errors.append(str(exc))
                        break
                    self.say(f"pushed {pushed.kernel_id} version {pushed.version}: {pushed.url}")
                    active.append((kernel, RunWatch(pushed, self.options.poll, time.monotonic())))
                if not active:
                    break
                kernel, watch = min(active, key=lambda item: item[1].next_poll)
                time.sleep(max(0.0, watch.next_poll - time.monotonic()))
                final = self.poll(kernel, watch)
                if final is not None:
                    active.remove((kernel, watch))
                    if final == "complete":
                        done[kernel.slug] = watch
        except KeyboardInterrupt:
            for kernel, watch in active:
                self.outcome(kernel, "running", watch.pushed.version, "left running on Kaggle")
            self.errors.append("interrupted: the kernels marked running go on on Kaggle; re-run "
                               "with --skip-unchanged once they have finished")
        for kernel in queue:
            self.outcome(kernel, "not pushed")
        return done

    def poll(self, kernel: KernelFolder, watch: RunWatch) -> str | None:
        """One status poll; the final state when the run is over, else None."""
        pushed = watch.pushed
        try:
            status = self.service.status(pushed.kernel_id, pushed.version)
        except RetriesExhausted as exc:
            self.say(f"{pushed.kernel_id}: status unavailable ({exc}); polling on")
            status = None
        except KaggleCallError as exc:
            self.outcome(kernel, "failed", pushed.version, "status check refused")
            self.errors.append(str(exc))
            return "failed"
        now = time.monotonic()
        if status is None:
            watch.postpone(now)
            final = None
        else:
            final = watch.observe(status, now)
            self.say("  " + watch.describe(now))
        if final is None:
            if not watch.timed_out(now):
                return None
            last = watch.last.state if watch.last else "unknown"
            self.outcome(kernel, "timeout", pushed.version, f"still {last}")
            self.errors.append(f"{pushed.kernel_id} v{pushed.version} did not finish within "
                               f"{self.options.poll.timeout / 60:g} minutes (still {last}); it "
                               f"may still be running on Kaggle: {pushed.url}. Raise [kaggle] "
                               "timeout_minutes, or re-run with --skip-unchanged once it ends")
            return "timeout"
        if final.state == "complete":
            self.outcome(kernel, "complete", pushed.version)
            return "complete"
        self.outcome(kernel, final.state, pushed.version, final.failure_message)
        self.errors.append(self.failure_text(kernel, watch, final.state, final.failure_message))
        return final.state

    def failure_text(self, kernel: KernelFolder, watch: RunWatch, state: str, message: str) -> str:
        pushed = watch.pushed
        try:
            tail = log_tail(self.service.outputs(pushed.kernel_id, pushed.version).log)
        except (KaggleCallError, RetriesExhausted) as exc:
            tail = f"(the log could not be fetched: {exc})"
        return (f"kernel {kernel.slug} ({pushed.kernel_id} v{pushed.version}) ended with "
                f"{state.upper()}" + (f": {message}" if message else "")
                + f"\n--- last lines of its log ---\n{tail}\n--- see {pushed.url} ---")

    def fail_if_errors(self) -> None:
        if self.errors:
            raise PushFailed("\n".join(self.errors), self.report)

    def reuse_train(self, train: KernelFolder) -> int | None:
        """The version of an unchanged train kernel whose latest run completed and finished
        its training, else None (it runs again). An unfinished training (time limit) is a
        ``TrainingUnfinished`` unless ``--continue-training`` continues it."""
        kernel_id = self.kernel_id(train)
        latest = self.service.latest_version(kernel_id)
        if latest is None or latest[0] is None:
            return None
        version, source = latest
        if source != train.script_path.read_text(encoding="utf-8"):
            return None
        if self.service.status(kernel_id, version).state != "complete":
            return None
        run = read_train_run(self.service, kernel_id, version)
        if run is None or not run.stop_reason:
            self.say(f"{kernel_id} v{version}: its output says nothing about how training ended "
                     f"(no {METRICS_NAME} with a stop_reason); running it again")
            return None
        if run.finished:
            self.say(f"{kernel_id}: unchanged and version {version} {run.describe()}; reusing it")
            self.outcome(train, "skipped", version, "unchanged")
            return version
        if self.options.continue_training:
            return None
        self.outcome(train, "unfinished", version, run.describe())
        raise TrainingUnfinished(unfinished_message(kernel_id, version, run))

    def check_continuable(self, train: KernelFolder) -> None:
        """``--continue-training`` needs an earlier run whose output holds the state."""
        kernel_id = self.kernel_id(train)
        run = read_train_run(self.service, kernel_id, None)
        if run is None or not run.has_state:
            raise ValueError(
                f"--continue-training: the latest output of {kernel_id} does not hold both "
                f"{STATE_NAME} and {METRICS_NAME} (or it has no run yet), so there is no training "
                "to continue; nothing was uploaded. Push without --continue-training to train "
                "from the start")
        if run.finished:
            self.say(f"{kernel_id}: its latest run already {run.describe()}; it runs again (and "
                     "continues from there) only if its settings changed, e.g. more epochs")
        else:
            self.say(f"{kernel_id}: its latest run {run.describe()}; the train kernel mounts "
                     "that output and continues from it")

    def run(self) -> PushReport:
        """``_run``, with every way it can stop turned into ``PushFailed`` and its report."""
        try:
            return self._run()
        except PushFailed:
            raise
        except TrainingUnfinished as exc:
            raise PushFailed(str(exc), self.report, rerun_helps=False) from exc
        except (KaggleCallError, RetriesExhausted, SubmissionUnknown, OSError, ValueError) as exc:
            # OSError: requests' errors, a full disk while downloading, a missing file
            raise PushFailed(str(exc), self.report) from exc
        except KeyboardInterrupt:
            raise PushFailed("interrupted (Ctrl-C)", self.report) from None
        except Exception as exc:
            raise PushFailed(f"unexpected {type(exc).__name__}: {exc}", self.report,
                             traceback.format_exc()) from exc
        finally:
            order = {self.kernel_id(k): i for i, k in enumerate(self.kernels.kernels)}
            self.report.outcomes.sort(key=lambda o: order.get(o.kernel_id, len(order)))

    def _run(self) -> PushReport:
        options, kernels = self.options, self.kernels
        if options.continue_training:
            for train in kernels.trains:
                self.check_continuable(train)
        todo = [k for k in kernels.preprocess
                if not (options.skip_unchanged and self.unchanged(k))]
        self.run_batch(todo, options.max_concurrent)
        self.fail_if_errors()
        # New preprocessing outputs mean new inputs: the train kernels run again then.
        versions = {}
        for train in kernels.trains:
            version = self.reuse_train(train) if options.skip_unchanged and not todo else None
            if version is not None:
                versions[train.slug] = version
        pending = [k for k in kernels.trains if k.slug not in versions]
        done = self.run_batch(pending, options.max_concurrent_gpu)
        self.fail_if_errors()
        versions.update({slug: watch.pushed.version for slug, watch in done.items()})
        trained, version, ran = kernels.trains[0], versions[kernels.trains[0].slug], bool(pending)
        if kernels.blend is not None:
            for train in pending:  # a fold stopped by the time limit is continued, not blended
                self.require_finished(train, versions[train.slug])
            trained, unchanged = kernels.blend, options.skip_unchanged and not todo and not ran
            version = self.reuse_train(trained) if unchanged else None
            if version is None:
                version, ran = self.run_one(trained), True
        if kernels.infer is None:
            self.finish(trained, version)
            return self.report
        # a code competition: the inference kernel is the one Kaggle runs and scores
        self.require_finished(trained, version)
        infer = kernels.infer
        unchanged = options.skip_unchanged and not todo and not ran
        version = self.reuse_train(infer) if unchanged else None
        self.finish(infer, version if version is not None else self.run_one(infer))
        return self.report

    def run_one(self, kernel: KernelFolder) -> int:
        """Push ``kernel`` and wait for its run; the version that completed."""
        done = self.run_batch([kernel], 1)
        self.fail_if_errors()
        return done[kernel.slug].pushed.version

    def require_finished(self, train: KernelFolder, version: int) -> None:
        """``TrainingUnfinished`` when the run of fold kernel ``train`` stopped early."""
        kernel_id = self.kernel_id(train)
        run = read_train_run(self.service, kernel_id, version)
        if run is not None and run.stop_reason and not run.finished:
            for outcome in self.report.outcomes:
                if outcome.kernel_id == kernel_id:
                    outcome.state, outcome.detail = "unfinished", run.describe()
            raise TrainingUnfinished(unfinished_message(kernel_id, version, run))

    def finish(self, train: KernelFolder, version: int | None) -> None:
        kernel_id, options = self.kernel_id(train), self.options
        dest = Path(options.output_dir) / train.slug
        names = download_outputs(self.service, kernel_id, version, dest,
                                 required=(SUBMISSION_FILE,))
        self.report.outputs = dest
        self.say(f"downloaded {len(names)} output file(s) of {kernel_id} v{version} to {dest}: "
                 + ", ".join(names))
        run = load_train_run(dest)
        if not run.finished:
            for outcome in self.report.outcomes:
                if outcome.kernel_id == kernel_id:
                    outcome.detail = f"training unfinished: {run.describe()}"
            if options.submit:
                raise TrainingUnfinished(unfinished_message(kernel_id, version, run))
            self.say("note: " + unfinished_message(kernel_id, version, run))
        self.check_fallback(dest)
        if not options.submit:
            return
        message = options.message or f"{kernel_id} v{version} (kaggle-memmap-pipeline)"
        if options.submission == "csv":
            submission = self.service.submit_csv(options.competition, dest / SUBMISSION_FILE,
                                                 message)
        else:
            submission = self.service.submit_code(options.competition, kernel_id, version,
                                                  SUBMISSION_FILE, message)
        self.report.submission = submission
        self.say(f"submitted to {options.competition}: ref {submission.ref} "
                 f"({submission.message})")
        if options.submission == "code":
            state = await_score(self.service, options.competition, submission, options.poll,
                                say=self.say)
            self.report.scoring = state
            if state.status == "error":
                raise PushFailed(f"submission ref {submission.ref} of {kernel_id} v{version} "
                                 f"{state.describe()}", self.report, rerun_helps=False)
            if state.status != "complete":
                self.say(f"submission ref {submission.ref}: "
                         + check_later(options.competition, submission))


    def check_fallback(self, dest: Path) -> None:
        """Say which test rows got the fallback prediction; with ``--submit``, refuse more
        of them than ``max_fallback_fraction`` allows."""
        fallback = FallbackRows.from_metrics(load_metrics(dest))
        if not fallback.rows:
            return
        if self.options.submit:
            try:
                fallback.check(self.options.max_fallback_fraction,
                               outcome=f"nothing was submitted (the outputs are in {dest})")
            except FallbackRefused as exc:
                raise PushFailed(str(exc), self.report, rerun_helps=False) from None
        self.say(f"note: {fallback.describe()}: they got the fallback prediction (ids "
                 f"{fallback.ids_text()}; see fallback in {dest / METRICS_NAME})")


def run_push(service: KaggleService, kernels: KernelSet, *, owner: str, options: PushOptions,
             rules: MetadataRules, credentials: Credentials | None,
             say: Callable[[str], None] = print) -> PushReport:
    """Check, push, wait, download and (``options.submit``) submit; ``PushFailed`` on failure."""
    if options.continue_training != kernels.continues_training:
        mounts = "mounts" if kernels.continues_training else "does not mount"
        raise ValueError(f"PushOptions.continue_training = {options.continue_training}, but the "
                         f"train kernel {mounts} its own output; apply "
                         "host.bundle.build.mount_own_output first")
    preflight(kernels, rules, credentials)
    return _Runner(service, kernels, owner, options, say).run()
