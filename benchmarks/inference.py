"""The inference kernel's throughput and memory on photos, against a bare decode loop.

A photo competition of JPEGs (and some PNGs) of every size, built from Fashion-MNIST
(``host.examples.photos``), planned as a code competition at 224x224x3. The inference kernel's
own code (``run_inference``: decode in a process pool of (cores - 1), predict batch by batch,
write the submission) runs over N and 4N test photos with a small CNN on the CPU, each in a
fresh process. The baseline is a bare decode-and-resize loop over the same files (the same
``decode_image``) with the same number of decoding processes.

- ``inference_ratio_vs_decode``: images/s of the kernel over images/s of the bare loop, over N
  photos, the median of interleaved pairs (A B B A ...) with its quartiles; target >= 0.8.
- ``rss_growth_4x``: the kernel's peak RSS over 4N photos over its peak over N; target <= 1.10.

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import emit, interleaved_ratios, median_and_quartiles, proc_status_kb

SIDE = 224


def _slug() -> str:
    return "bench-infer"


def prepare(work: Path, n: int) -> None:
    """The photo competition (4N test photos), one sample per size, the model and its record."""
    import numpy as np
    import pandas as pd

    from host.examples.photos import build_photos
    from host.planning import make_plan
    from host.settings import HostConfig
    from shared.assignment import dump_assignment

    comp = work / "competition"
    build_photos(comp, 4 * n + 40, test_fraction=4 * n / (4 * n + 40), quiet=True, seed=3)
    sample = pd.read_csv(comp / "sample_submission.csv", dtype=str)
    for rows in (n, 4 * n):
        view = work / f"view-{rows}"
        view.mkdir()
        for name in ("train", "test", "train.csv"):
            (view / name).symlink_to(comp / name)
        sample.iloc[:rows].to_csv(view / "sample_submission.csv", index=False)
    config = HostConfig().replace(
        competition={"slug": _slug(), "submission": "code", "data_dir": str(comp),
                     "max_fallback_fraction": 0.1},  # about 3% of the photos are truncated
        source={"image_size": [SIDE, SIDE], "channels": 3},
        plan={"kernel_budget": 10**12}, loader={"batch_size": 32})
    plan = make_plan(config)
    (work / "assignment.json").write_text(dump_assignment(plan.infer))
    _model(work / "trained", plan.infer, np)


def _model(out: Path, assignment, np) -> None:
    import keras

    from shared.data.normalization import Normalization
    from shared.inference.record import InferenceRecord
    from shared.tasks import task_for
    from shared.training.device_input import prepare_model

    task = task_for(assignment.source)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((SIDE, SIDE, 3)),
        keras.layers.Conv2D(16, 5, strides=4, activation="relu"),
        keras.layers.Conv2D(32, 3, strides=2, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(task.head(np.zeros(0)).units, activation="softmax")])
    model.compile(loss=task.loss())
    model = prepare_model(model, sample_shape=(SIDE, SIDE, 3), normalization=Normalization(),
                          output="uint8")
    out.mkdir(parents=True)
    model.save(out / "model.keras")
    InferenceRecord(role="train", task=task.name, classes=assignment.spec.classes,
                    sample_shape=assignment.spec.sample_shape,
                    source_fingerprint=assignment.source_fingerprint,
                    prior=np.full(len(assignment.spec.classes), 1 / len(assignment.spec.classes)),
                    model="model.keras").save(out)


def child_infer(work: Path, rows: int) -> dict:
    """``run_inference`` over the first ``rows`` test photos (in this process)."""
    from shared.assignment import load_assignment
    from shared.inference import run_inference

    root = Path(tempfile.mkdtemp(prefix="infer-", dir=work))
    (root / "input").mkdir()
    (root / "input" / _slug()).symlink_to(work / f"view-{rows}")
    (root / "input" / "trained").symlink_to(work / "trained")
    assignment = load_assignment((work / "assignment.json").read_text())
    outcome = run_inference(assignment, root / "input", root / "working", progress=False)
    metrics = outcome.metrics
    return {"rows": metrics["test_rows"], "seconds": metrics["predict_seconds"],
            "images_per_s": metrics["images_per_s"], "workers": metrics["decode_workers"],
            "peak_rss_kb": proc_status_kb("VmHWM")}


def _decode(path: str):
    from shared.sources.decode import DecodeSettings, decode_image

    try:
        decode_image(path, DecodeSettings((SIDE, SIDE), 3))
        return 1
    except Exception:  # noqa: BLE001 - the truncated photos fail here as in the kernel
        return 0


def child_decode(work: Path, rows: int, workers: int) -> dict:
    """The bare loop: decode and resize the same files with ``workers`` processes."""
    import multiprocessing

    import pandas as pd

    from shared.sources.images import ImageLocator

    names = pd.read_csv(work / f"view-{rows}" / "sample_submission.csv", dtype=str)["id"]
    locator = ImageLocator(work / "competition" / "test")
    paths = [str(locator.find(n)) for n in names]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        decoded = sum(pool.imap(_decode, paths, chunksize=8))
    seconds = time.perf_counter() - started
    return {"rows": len(paths), "decoded": decoded, "seconds": seconds,
            "images_per_s": len(paths) / seconds}


def run_child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                          text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    if proc.returncode:
        raise RuntimeError(f"child {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=400, help="N")
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, work, rows, *rest = args.child
        result = child_infer(Path(work), int(rows)) if kind == "infer" else \
            child_decode(Path(work), int(rows), int(rest[0]))
        print(json.dumps(result))
        return
    n = args.images
    with tempfile.TemporaryDirectory(prefix="bench-inference-") as tmp:
        work = Path(tmp)
        run_child("prepare", str(work), str(n))
        first = run_child("infer", str(work), str(n))  # warm the file cache, learn the workers
        workers = first["workers"]
        infer_runs: list[dict] = []

        def infer_rate() -> float:
            infer_runs.append(run_child("infer", str(work), str(n)))
            return infer_runs[-1]["images_per_s"]

        ratios, kernel, bare = interleaved_ratios(
            infer_rate, lambda: run_child("decode", str(work), str(n), str(workers))[
                "images_per_s"], args.pairs)
        large = run_child("infer", str(work), str(4 * n))
    ratio, quartiles = median_and_quartiles(ratios)
    peak_n = max(r["peak_rss_kb"] for r in [first, *infer_runs])
    growth = large["peak_rss_kb"] / peak_n
    emit({
        "benchmark": "inference", "images_n": n, "images_4n": 4 * n, "size": f"{SIDE}x{SIDE}x3",
        "decode_workers": workers, "pairs": args.pairs,
        "kernel_images_per_s": round(sorted(kernel)[len(kernel) // 2], 1),
        "bare_decode_images_per_s": round(sorted(bare)[len(bare) // 2], 1),
        "inference_ratio_vs_decode": ratio, "inference_ratio_vs_decode_quartiles": quartiles,
        "peak_rss_mb_n": round(peak_n / 1024, 1),
        "peak_rss_mb_4n": round(large["peak_rss_kb"] / 1024, 1),
        "rss_growth_4x": round(growth, 3),
        "targets": {"inference_ratio_vs_decode": 0.8, "rss_growth_4x": 1.10},
        "meets_target": ratio >= 0.8 and growth <= 1.10,
    })


def _prepare_child() -> None:
    kind, work, rows = sys.argv[2:5]
    prepare(Path(work), int(rows))
    print(json.dumps({"prepared": True}))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child" and sys.argv[2] == "prepare":
        _prepare_child()
    else:
        main()
