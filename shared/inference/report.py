"""What the inference kernel reports: ``metrics.json`` and its timing in the log.

Every run says its images/s (decoding and predicting together, end to end) and what 10,000
and 100,000 hidden images would take at that rate, and warns when ``[competition]
rerun_hours`` would not hold 100,000: a scoring rerun that runs out of time costs a
submission and shows only an error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shared.fallback import FallbackRows
from shared.store.atomic import write_text_atomic

__all__ = ["inference_metrics", "write_metrics", "say_timing", "METRICS_NAME"]

METRICS_NAME = "metrics.json"
_PROJECTED = (10_000, 100_000)


def inference_metrics(assignment: Any, result: Any, fallback: FallbackRows, predictors: Any,
                      *, rerun: bool, wall_seconds: float,
                      fallback_values: dict[str, Any]) -> dict[str, Any]:
    """The metrics of one inference run (``assignment``, its ``StreamResult``, the
    ``Predictors`` used; ``fallback_values``: what a row without an image is written as)."""
    rows = len(result.outputs)
    rate = rows / result.seconds if rows and result.seconds > 0 else None
    return {
        "role": "infer", "kernel": assignment.kernel, "rerun": rerun,
        "task": assignment.source.task, "test_rows": rows,
        "models": [str(f.name) for f in predictors.folders], "tta": assignment.choices.tta,
        "decode_workers": result.workers, "batch": assignment.config.loader.batch_size,
        "predict_seconds": round(result.seconds, 3), "images_per_s": round(rate, 1)
        if rate else None,
        **{f"projected_seconds_{n // 1000}k": round(n / rate, 1) if rate else None
           for n in _PROJECTED},
        "wall_seconds": round(wall_seconds, 2),
        "fallback": {"rows": fallback.rows, "ids": list(fallback.ids),
                     "reasons": dict(fallback.reasons),
                     "values": fallback_values},
        "stop_reason": "completed",
    }


def write_metrics(out_dir: Path, metrics: dict[str, Any]) -> Path:
    return write_text_atomic(Path(out_dir) / METRICS_NAME, json.dumps(metrics, indent=1))


def say_timing(metrics: dict[str, Any], rerun_hours: float) -> None:
    """The rate and its projections; a warning when 100k would not fit in ``rerun_hours``."""
    rate = metrics.get("images_per_s")
    if not rate:
        print(f"inference: {metrics['test_rows']} rows, no image to time", flush=True)
        return
    print(f"inference: {metrics['test_rows']} images in {metrics['predict_seconds']:.1f} s, "
          f"{rate:.1f} images/s ({metrics['decode_workers']} decoding process(es)); at that "
          f"rate 10k images take {metrics['projected_seconds_10k'] / 60:.1f} min, 100k "
          f"{metrics['projected_seconds_100k'] / 3600:.2f} h", flush=True)
    if metrics["projected_seconds_100k"] > rerun_hours * 3600:
        print(f"warning: at {rate:.1f} images/s, 100,000 hidden images would take "
              f"{metrics['projected_seconds_100k'] / 3600:.1f} h, more than [competition] "
              f"rerun_hours = {rerun_hours:g}: a rerun of that size would run out of time. "
              "Use the GPU ([kaggle] infer_accelerator = \"gpu\"), fewer folds or no TTA",
              flush=True)
