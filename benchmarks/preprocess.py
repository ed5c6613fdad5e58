"""Preprocessing kernel throughput and memory, against a bare Pillow loop over the same files.

Two competitions are written into a temporary folder first:

- ``png28``: 28x28 grayscale PNGs (Fashion-MNIST), stored as 28x28x1;
- ``jpeg96``: 256x256 RGB JPEGs (Fashion-MNIST upscaled and tinted), resized to 96x96x3.

Each measurement runs in a fresh child process: ``run_preprocess`` on the whole competition
(one planned kernel) with 1 and with 2 decoding workers, and the baseline, a plain loop of
``Image.open(path).convert(mode).resize(size)`` over the same files. Times are the best of
``--repeats`` runs. The same plain loop split over 2 processes gives the machine's own
ceiling for ``scaling_2_workers`` (``machine_scaling_2_processes``: below 2 when the cores
are busy with other work), and CPU seconds per image give an overhead figure that does not
depend on how busy the machine is (``cpu_overhead_vs_plain_pillow``). Peak RSS is the main process's ``VmHWM`` for N and 4N JPEG images,
with 4 MiB shards so that both span several shards (the bound being measured is "a few
shards", not one shard's size). Prints one JSON object last.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import emit, fashion_mnist_train, proc_status_kb  # sets TF_CPP_MIN_LOG_LEVEL first

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

SHARD_BYTES = 4 * 2**20
CASES = {  # name: (file extension, stored size, channels)
    "png28": (".png", (28, 28), 1),
    "jpeg96": (".jpg", (96, 96), 3),
}


def write_competition(folder: Path, case: str, n: int, x: np.ndarray, y: np.ndarray) -> Path:
    """``n`` train images plus n/20 test images, a train.csv and a sample_submission.csv."""
    ext = CASES[case][0]
    n_test = max(1, n // 20)
    for split, count, offset in (("train", n, 0), ("test", n_test, n)):
        (folder / split).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            gray = x[(offset + i) % len(x), ..., 0]
            if case == "png28":
                Image.fromarray(gray, "L").save(folder / split / f"{i:06d}{ext}")
            else:
                big = np.asarray(Image.fromarray(gray).resize((256, 256), Image.Resampling.BICUBIC))
                rgb = np.dstack([big, big.T, 255 - big])
                Image.fromarray(rgb, "RGB").save(folder / split / f"{i:06d}{ext}", quality=90)
    pd.DataFrame({"id": [f"{i:06d}" for i in range(n)], "label": y[:n] % 10}).to_csv(
        folder / "train.csv", index=False)
    pd.DataFrame({"id": [f"{i:06d}" for i in range(n_test)], "label": 0}).to_csv(
        folder / "sample_submission.csv", index=False)
    return folder


def plan_assignment(folder: Path, case: str, out: Path) -> Path:
    from shared.assignment import dump_assignment
    from host.settings import HostConfig
    from host.planning import make_plan

    _, size, channels = CASES[case]
    config = HostConfig().replace(
        competition={"slug": "bench"}, store={"shard_bytes": SHARD_BYTES},
        plan={"kernel_budget": 10**12}, source={"image_size": list(size), "channels": channels})
    (assignment,) = make_plan(config, folder).preprocess
    out.write_text(dump_assignment(assignment), encoding="utf-8")
    return out


# -- children --------------------------------------------------------------------------------
def child_ours(assignment_path: str, data: str, workers: int) -> dict:
    from shared.assignment import load_assignment
    from shared.preprocess import run_preprocess

    assignment = load_assignment(Path(assignment_path).read_text(encoding="utf-8"))
    out = Path(tempfile.mkdtemp(prefix="bench-out-"))
    try:
        start = time.perf_counter()
        summary = run_preprocess(assignment, data, out, workers=workers, progress=False)
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(out)
    return {"seconds": seconds, "images": summary.decoded, **_usage()}


def plain_loop(paths: list[Path], case: str) -> int:
    """The baseline: open, convert, resize, to an array; nothing else."""
    _, (height, width), channels = CASES[case]
    mode = "L" if channels == 1 else "RGB"
    for path in paths:
        with Image.open(path) as img:
            img = img.convert(mode)
            if img.size != (width, height):
                img = img.resize((width, height), Image.Resampling.BILINEAR)
            np.asarray(img)
    return len(paths)


def child_plain(data: str, case: str, processes: int) -> dict:
    """The plain loop over every file, in 1 process or split evenly over ``processes``."""
    ext = CASES[case][0]
    folder = Path(data)
    paths = [folder / "train" / f"{i}{ext}" for i in
             pd.read_csv(folder / "train.csv", dtype=str)["id"]]
    paths += [folder / "test" / f"{i}{ext}" for i in
              pd.read_csv(folder / "sample_submission.csv", dtype=str)["id"]]
    if processes == 1:
        start = time.perf_counter()
        plain_loop(paths, case)
    else:
        parts = [(paths[k::processes], case) for k in range(processes)]
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            start = time.perf_counter()
            pool.starmap(plain_loop, parts)
    return {"seconds": time.perf_counter() - start, "images": len(paths), **_usage()}


def _usage() -> dict:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"peak_rss_mb": proc_status_kb("VmHWM") / 1024,
            "worker_peak_rss_mb": kids.ru_maxrss / 1024,
            "cpu_seconds": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime}


def run_child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {args} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def best(repeats: int, *args: str) -> dict:
    return min((run_child(*args) for _ in range(repeats)), key=lambda r: r["seconds"])


# -- main ------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--png", type=int, default=30000, help="28x28 PNG images")
    parser.add_argument("--jpeg", type=int, default=4000, help="256x256 JPEG images")
    parser.add_argument("--rss-n", type=int, default=2000, help="N for the peak-RSS runs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--idx-dir", default=None)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = (child_ours(rest[0], rest[1], int(rest[2])) if kind == "ours"
                  else child_plain(rest[0], rest[1], int(rest[2])))
        print(json.dumps(result))
        return

    x, y, source = fashion_mnist_train(args.idx_dir)
    result: dict = {"benchmark": "preprocess", "data": source, "shard_bytes": SHARD_BYTES}
    with tempfile.TemporaryDirectory(prefix="bench-preprocess-") as tmp:
        tmp = Path(tmp)
        scaling, overhead, cpu_overhead, machine = [], [], [], []
        for case, n in (("png28", args.png), ("jpeg96", args.jpeg)):
            t0 = time.perf_counter()
            folder = write_competition(tmp / case, case, n, x, y)
            assignment = plan_assignment(folder, case, tmp / f"{case}.json")
            print(f"{case}: wrote {n} images in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            plain = best(args.repeats, "plain", str(folder), case, "1")
            plain2 = best(args.repeats, "plain", str(folder), case, "2")
            ours = {w: best(args.repeats, "ours", str(assignment), str(folder), str(w))
                    for w in (1, 2)}
            rate = {w: r["images"] / r["seconds"] for w, r in ours.items()}
            plain_rate = plain["images"] / plain["seconds"]
            result[f"plain_pillow_images_per_s_{case}"] = round(plain_rate, 1)
            for w in (1, 2):
                result[f"images_per_s_{case}_{w}w"] = round(rate[w], 1)
            result[f"scaling_2_workers_{case}"] = round(rate[2] / rate[1], 3)
            ceiling = plain2["seconds"] and plain["seconds"] / plain2["seconds"]
            result[f"machine_scaling_2_processes_{case}"] = round(ceiling, 3)
            result[f"overhead_vs_plain_pillow_{case}"] = round(plain_rate / rate[1], 3)
            cpu_per_image = ours[1]["cpu_seconds"] / ours[1]["images"]
            result[f"cpu_overhead_vs_plain_pillow_{case}"] = round(
                cpu_per_image / (plain["cpu_seconds"] / plain["images"]), 3)
            scaling.append(rate[2] / rate[1])
            overhead.append(plain_rate / rate[1])
            cpu_overhead.append(result[f"cpu_overhead_vs_plain_pillow_{case}"])
            machine.append(ceiling)
            print(f"{case}: plain {plain_rate:.0f}/s (x{ceiling:.2f} in 2 processes), ours "
                  f"{rate[1]:.0f}/s (1 worker), {rate[2]:.0f}/s (2 workers)", file=sys.stderr)

        rss = {}
        for label, n in (("N", args.rss_n), ("4N", 4 * args.rss_n)):
            folder = write_competition(tmp / f"rss{label}", "jpeg96", n, x, y)
            assignment = plan_assignment(folder, "jpeg96", tmp / f"rss{label}.json")
            rss[label] = run_child("ours", str(assignment), str(folder), "2")
        result.update({
            "rss_n": args.rss_n,
            "peak_rss_mb_N": round(rss["N"]["peak_rss_mb"], 1),
            "peak_rss_mb_4N": round(rss["4N"]["peak_rss_mb"], 1),
            "worker_peak_rss_mb_N": round(rss["N"]["worker_peak_rss_mb"], 1),
            "worker_peak_rss_mb_4N": round(rss["4N"]["worker_peak_rss_mb"], 1),
            "rss_growth_4x": round(rss["4N"]["peak_rss_mb"] / rss["N"]["peak_rss_mb"], 3),
            "scaling_2_workers": round(min(scaling), 3),
            "machine_scaling_2_processes": round(min(machine), 3),
            "overhead_vs_plain_pillow": round(max(overhead), 3),
            "cpu_overhead_vs_plain_pillow": round(max(cpu_overhead), 3),
            "cpus": len(__import__("os").sched_getaffinity(0)),
        })
    targets = {"scaling_2_workers": result["scaling_2_workers"] >= 1.7,
               "rss_growth_4x": result["rss_growth_4x"] <= 1.10,
               "overhead_vs_plain_pillow": result["overhead_vs_plain_pillow"] <= 1.3}
    result["targets_met"] = targets
    emit(result)


if __name__ == "__main__":
    main()
