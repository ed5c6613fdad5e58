"""run_inference: a code competition's submitted kernel. Test images in, ``submission.csv`` out.

1. Read the mounted competition's ``sample_submission.csv`` (the public placeholders, or in
   Kaggle's scoring rerun every hidden row, any ids, any count) and check the train side's
   fingerprint: what a rerun cannot change.
2. Fork the decoding workers, then load the trained model(s) (``predictors``) and check them
   against the plan: task, classes, input shape.
3. Decode the images the sample lists and predict them batch by batch (``stream``), with the
   training's test-time augmentation, averaging fold models as the blend kernel does.
4. Rows whose image is missing or unreadable get the training set's prior, are listed in the
   log and in ``metrics.json``, and beyond ``[competition] max_fallback_fraction`` of the rows
   the kernel fails: a submission that is mostly one constant scores like a guess.
5. Write ``submission.csv`` through the task's writer and checks, and ``metrics.json`` with the
   images/s and what 10k and 100k hidden images would take at that rate.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shared.assignment import InferAssignment
from shared.fallback import FallbackRows
from shared.inference.report import inference_metrics, say_timing, write_metrics
from shared.inference.stream import DecodeStream
from shared.kaggle_paths import find_competition_dir
from shared.preprocess.pool import available_cpus
from shared.sources.fingerprint import check_source_fingerprint
from shared.sources.stores import archive_of
from shared.submission import SubmissionFormat, write_submission
from shared.tasks import task_for

__all__ = ["InferOutcome", "run_inference", "RERUN_ENV"]

RERUN_ENV = "KAGGLE_IS_COMPETITION_RERUN"


@dataclass(frozen=True)
class InferOutcome:
    out_dir: Path
    metrics: dict

    @property
    def submission(self) -> Path:
        return self.out_dir / "submission.csv"


def _test_folder(competition: Path, assignment: InferAssignment) -> None:
    folder = competition / assignment.source.test_dir
    if not folder.is_dir() and archive_of(folder) is None:
        raise FileNotFoundError(
            f"the test folder {assignment.source.test_dir or '.'}/ (a folder, or one inside a "
            f"zip archive) is not in {competition}: "
            "Kaggle's hidden competition folder keeps the public one's layout; re-plan on the "
            "current competition data")


def run_inference(assignment: InferAssignment, input_dir: str | Path, out_dir: str | Path, *,
                  progress: bool = True) -> InferOutcome:
    """Predict the mounted sample's rows into ``out_dir`` (see the module docstring)."""
    started = time.monotonic()
    input_dir, out_dir = Path(input_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config, layout = assignment.config, assignment.source
    competition = find_competition_dir(input_dir, assignment.competition, layout.sample_submission)
    check_source_fingerprint(layout, competition, assignment.source_fingerprint)
    _test_folder(competition, assignment)
    task = task_for(layout)
    fmt = SubmissionFormat.read(competition / layout.sample_submission, id_column=layout.id_column,
                                task=task, allow_empty=True)
    names = fmt.sample[layout.id_column].astype(str).tolist()
    rerun = bool(os.environ.get(RERUN_ENV))
    print(f"{assignment.kernel}: {len(names)} test rows in {fmt.source}"
          + (" (Kaggle's scoring rerun)" if rerun else ""), flush=True)
    workers = config.plan.decode_workers or max(1, available_cpus() - 1)
    stream = DecodeStream(layout, competition, names, workers=workers,
                          max_pixels=config.source.max_image_pixels).open()
    try:
        from shared.inference.predictors import load_predictors  # Keras: after the fork

        predictors = load_predictors(input_dir, assignment)
        tta = assignment.choices.tta
        # compile the predict step on an empty batch first: the rate then is the steady one,
        # which the projections to 10k and 100k images need
        predictors.predict(np.zeros((config.loader.batch_size, *assignment.spec.sample_shape),
                                    np.uint8), tta)
        result = stream.predict(lambda x: predictors.predict(x, tta), predictors.prior,
                                batch=config.loader.batch_size, strict=config.source.strict,
                                progress=assignment.kernel if progress else "")
    finally:
        stream.close()
    fallback = FallbackRows(rows=len(result.failures), total=len(names),
                            ids=tuple(i for _, i, _ in result.failures[:20]),
                            reasons=_reasons(result.failures))
    if fallback.rows:
        print(f"warning: {fallback.describe()}; they get the training set's prior: ids "
              f"{fallback.ids_text()}", flush=True)
    fallback.check(config.competition.max_fallback_fraction,
                   outcome="no submission.csv was written",
                   listed="the warning above lists them, with the reason")
    write_submission(fmt.fill(result.outputs, calibration=predictors.record.calibration),
                     out_dir / "submission.csv", fmt)
    values = task.submission_values(predictors.prior[None, :], predictors.record.calibration)
    metrics = inference_metrics(assignment, result, fallback, predictors, rerun=rerun,
                                wall_seconds=time.monotonic() - started,
                                fallback_values={c: _plain(v[0]) for c, v in values.items()})
    write_metrics(out_dir, metrics)
    say_timing(metrics, config.competition.rerun_hours)
    return InferOutcome(out_dir, metrics)


def _reasons(failures: tuple[tuple[int, str, str], ...]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for _, _, reason in failures:
        kind = reason.split(":")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def _plain(value):
    item = getattr(value, "item", None)
    return item() if callable(item) else value
