"""The pipeline at a size this machine cannot hold: a photo competition whose shards outgrow RAM.

1. Free disk is checked first (photos + shards + margin); short, it refuses with the numbers.
2. ``host.examples.photos`` writes ``--images`` photos (default 200k: 224x224x3 shards of
   30.1 GB, above this machine's 24 GB of RAM) into a folder under ``--dir``.
3. The planner plans them with ``--budget`` (default: ``[plan] kernel_budget``, 19 GB) into
   kernels; each kernel's bundled script runs as Kaggle would run it (``host.dryrun``), one
   at a time, each decoding on every core here (``decode_workers = 0``). Per kernel, a bare
   Pillow loop (open, EXIF transpose, convert, resize) over the same files with as many
   processes runs before or after it, alternating (B A A B ...), page cache dropped before
   each: ``preprocess_ratio_vs_pillow`` is the median of the per-kernel ratios (target >= 0.8).
4. ``--repeats`` rounds, alternating their order, of: a sequential read of cold shard files
   (``disk_read_mb_per_s``); an epoch over the first 1/8 of the train rows, read twice
   (the second, warm, pass gives the loader's warm rate); one cold epoch over all of them.
   Epochs go through ``ShardedSequence`` (block shuffle, batch 128, Keras's own
   ``PyDataset`` iterator with as many threads as cores), each in a fresh process that reads
   its RssAnon after every batch. ``cold_epoch_ratio`` = cold rate / min(disk rate / sample
   bytes, warm rate) (target >= 0.8); ``anon_growth_ratio`` = peak RssAnon of the whole
   epoch / that of the 1/8 epoch (target <= 1.05). The loader hands over ``--output`` batches:
   uint8 by default, as the train kernel does (the model normalises on the device); with
   ``--output float32`` the "warm rate" includes the host's conversion.
5. Everything written is deleted at the end, also after a failure, Ctrl-C or SIGTERM.

The page cache is dropped with ``echo 1 > /proc/sys/vm/drop_caches`` (root); where that is
refused, the output says so (``page_cache_dropped: false``) and the "cold" figures are not
cold. The machine may be shared: the load average at each phase is in the output.

    python benchmarks/scale.py                       # the full size (about an hour here)
    python benchmarks/scale.py --images 6000 --budget 300MB --repeats 2   # a quick try
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import emit, proc_status_kb  # sets TF_CPP_MIN_LOG_LEVEL first

import numpy as np  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

from host.bundle.build import build_kernels  # noqa: E402
from host.dryrun.runner import run_kernel  # noqa: E402
from host.dryrun.tree import make_tree, mount_competition  # noqa: E402
from host.examples.photos import build_photos, encode, plan_photos, render_upright  # noqa: E402
from host.planning import make_plan  # noqa: E402
from host.settings import HostConfig  # noqa: E402
from shared.units import format_size, parse_size
from shared.preprocess.pool import available_cpus  # noqa: E402

MARGIN = 3 * 10**9
BATCH = 128


def say(text: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def drop_caches() -> bool:
    """Empty the page cache (root only); False where the kernel refuses."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as fh:
            fh.write("1\n")
        return True
    except OSError:
        return False


def quartiles(values: list[float]) -> list[float]:
    if len(values) < 2:
        return [round(values[0], 4)] * 2 if values else []
    q = statistics.quantiles(values, n=4, method="inclusive")
    return [round(q[0], 4), round(q[2], 4)]


# -- 1. disk ---------------------------------------------------------------------------------
def check_disk(folder: Path, images: int, side: int, sides: tuple[int, int]) -> dict:
    """Bytes needed against bytes free; SystemExit with the numbers when short."""
    sample = plan_photos(200, seed=99, min_side=sides[0], max_side=sides[1],
                         labels=(np.zeros(10, int), np.zeros(10, int)))
    item = np.zeros((28, 28), np.uint8)
    item[6:22, 8:20] = 200
    photo = float(np.mean([len(encode(s, *render_upright(s, item))) for s in sample]))
    shards = images * (side * side * 3 + 1)
    need = int(images * photo * 1.15) + shards + MARGIN
    free = shutil.disk_usage(folder).free
    if need > free:
        raise SystemExit(
            f"scale benchmark refused: {images} photos need about {format_size(need)} in "
            f"{folder} ({format_size(images * photo)} of photos, {format_size(shards)} of "
            f"shards, {format_size(MARGIN)} margin) but only {format_size(free)} is free: "
            "free disk space, pass --dir on a larger disk, or lower --images")
    return {"disk_needed_gb": round(need / 1e9, 1), "disk_free_gb": round(free / 1e9, 1)}


# -- 3. preprocessing ------------------------------------------------------------------------
def _bare(paths: list[str], size: tuple[int, int]) -> int:
    """The baseline: open, EXIF, convert, resize; returns how many failed."""
    failed = 0
    for path in paths:
        try:
            with Image.open(path) as img:
                np.asarray(ImageOps.exif_transpose(img).convert("RGB").resize(
                    size, Image.Resampling.BILINEAR))
        except Exception:  # noqa: BLE001 - truncated files fail here as in the kernel
            failed += 1
    return failed


def bare_loop(paths: list[str], side: int, processes: int) -> float:
    """Seconds for the baseline over ``paths`` with ``processes`` processes."""
    chunks = [paths[i:i + 64] for i in range(0, len(paths), 64)]
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(processes, initializer=signal.signal,
                                                  initargs=(signal.SIGTERM,
                                                            signal.SIG_DFL)) as pool:
        list(pool.starmap(_bare, [(c, (side, side)) for c in chunks], chunksize=1))
    return time.perf_counter() - start


def preprocess(work: Path, comp: Path, config: HostConfig, specs, side: int,
               cores: int) -> dict:
    plan = make_plan(config, comp)
    say(plan.table())
    built = build_kernels(plan, work / "kernels", owner="bench",
                          config=config)
    by_split = {s: [str(comp / x.split / x.file_name) for x in specs if x.split == s]
                for s in ("train", "test")}
    outputs = work / "outputs"
    outputs.mkdir()
    pairs, total_rows, total_seconds = [], 0, 0.0
    for k, (assignment, folder) in enumerate(zip(plan.preprocess, built.preprocess)):
        paths = [p for r in assignment.ranges for p in by_split[r.split][r.start:r.stop]]
        timings = {}
        for step in (("bare", "kernel") if k % 2 == 0 else ("kernel", "bare")):
            dropped = drop_caches()
            if step == "bare":
                timings["bare"] = bare_loop(paths, side, cores)
                continue
            tree = make_tree(work / "kaggle", folder.slug)
            mount_competition(tree, comp, config.competition.slug, exclude=("solution.csv",))
            run = run_kernel(folder, tree, log_dir=work / "logs", echo=None)
            if run.exit_status != 0:
                raise RuntimeError(f"{folder.slug} failed:\n{run.log_tail()}")
            timings["kernel"] = run.wall_seconds
            (outputs / folder.slug).symlink_to(tree.working)
        rows = len(paths)
        total_rows, total_seconds = total_rows + rows, total_seconds + timings["kernel"]
        pairs.append({"kernel": folder.slug, "rows": rows, "kernel_s": round(timings["kernel"], 1),
                      "bare_pillow_s": round(timings["bare"], 1),
                      "ratio": round(timings["bare"] / timings["kernel"], 4)})
        say(f"{folder.slug}: {rows} images, kernel {timings['kernel']:.0f} s, bare Pillow "
            f"{timings['bare']:.0f} s (ratio {pairs[-1]['ratio']}); page cache dropped: "
            f"{dropped}; load {os.getloadavg()[0]:.2f}")
    ratios = [p["ratio"] for p in pairs]
    shard_bytes = sum(s.bytes for s in plan.shares.shares)
    return {"kernels": len(plan.preprocess), "shards_bytes": shard_bytes,
            "preprocess_images_per_s": round(total_rows / total_seconds, 1),
            "preprocess_ratio_vs_pillow": round(statistics.median(ratios), 4),
            "preprocess_ratio_quartiles": quartiles(ratios), "preprocess_pairs": pairs,
            "kernel_budget_gb": round(plan.shares.kernel_budget / 1e9, 2),
            "shard_bytes": plan.shares.shard_bytes}


# -- 4. reading ------------------------------------------------------------------------------
def disk_read(outputs: Path, limit: int = 4 * 10**9) -> float:
    """MB/s of a sequential read of cold shard files (up to ``limit`` bytes)."""
    files = sorted(outputs.glob("*/train-*-x.npy"))
    drop_caches()
    buffer, done = bytearray(16 * 2**20), 0
    start = time.perf_counter()
    for path in files:
        with open(path, "rb", buffering=0) as fh:
            while (n := fh.readinto(buffer)):
                done += n
        if done >= limit:
            break
    return done / (time.perf_counter() - start) / 1e6


def child_epoch(outputs: str, fraction: int, passes: int, workers: int, output: str) -> None:
    """One process: ``passes`` epochs over the first 1/``fraction`` of the train rows."""
    from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

    from shared.data import ShuffleOptions, WorkerOptions
    from shared.data.sequence import ShardedSequence
    from shared.store import ShardSet

    split = ShardSet.discover(outputs).split("train")
    rows = np.arange(len(split) // fraction)
    sequence = ShardedSequence(split, rows=rows, batch_size=BATCH, drop_remainder=True,
                               shuffle=ShuffleOptions(mode="block", seed=0),
                               workers=WorkerOptions(workers=workers, max_queue_size=4),
                               output=output)
    anon, seconds = [proc_status_kb("RssAnon")], []
    for _ in range(passes):
        adapter = PyDatasetAdapter(sequence, shuffle=False)
        start = time.perf_counter()
        for step, batch in enumerate(adapter.get_numpy_iterator()):
            anon.append(proc_status_kb("RssAnon"))
            if step + 1 == sequence.steps_per_epoch:
                break
        seconds.append(time.perf_counter() - start)
        adapter.on_epoch_end()
    print(json.dumps({"samples": sequence.steps_per_epoch * BATCH, "seconds": seconds,
                      "anon_start_kb": anon[0], "anon_peak_kb": max(anon)}))


def epoch(outputs: Path, fraction: int, passes: int, workers: int, cold: bool,
          output: str) -> dict:
    if cold:
        drop_caches()
    proc = subprocess.run([sys.executable, __file__, "--child", str(outputs), str(fraction),
                           str(passes), str(workers), output], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"epoch child failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["rate"] = result["samples"] / result["seconds"][-1]
    return result


def reading(outputs: Path, side: int, repeats: int, workers: int, output: str) -> dict:
    sample_bytes = side * side * 3
    rounds = []
    for r in range(repeats):
        steps = ["disk", "warm", "cold"] if r % 2 == 0 else ["cold", "warm", "disk"]
        got = {}
        for step in steps:
            if step == "disk":
                got["disk"] = disk_read(outputs)
            elif step == "warm":
                got["warm"] = epoch(outputs, 8, 2, workers, cold=True, output=output)
            else:
                got["cold"] = epoch(outputs, 1, 1, workers, cold=True, output=output)
        ceiling = min(got["disk"] * 1e6 / sample_bytes, got["warm"]["rate"])
        rounds.append({"disk_mb_per_s": round(got["disk"], 1),
                       "warm_samples_per_s": round(got["warm"]["rate"], 1),
                       "cold_samples_per_s": round(got["cold"]["rate"], 1),
                       "cold_epoch_ratio": round(got["cold"]["rate"] / ceiling, 4),
                       "anon_peak_mb_eighth": round(got["warm"]["anon_peak_kb"] / 1024, 1),
                       "anon_peak_mb_all": round(got["cold"]["anon_peak_kb"] / 1024, 1),
                       "anon_growth_ratio": round(got["cold"]["anon_peak_kb"]
                                                  / got["warm"]["anon_peak_kb"], 4),
                       "epoch_samples": got["cold"]["samples"]})
        say(f"round {r + 1}: {rounds[-1]}; load {os.getloadavg()[0]:.2f}")
    pick = lambda key: [x[key] for x in rounds]  # noqa: E731
    return {"disk_read_mb_per_s": round(statistics.median(pick("disk_mb_per_s")), 1),
            "cold_epoch_samples_per_s": round(statistics.median(pick("cold_samples_per_s")), 1),
            "warm_epoch_samples_per_s": round(statistics.median(pick("warm_samples_per_s")), 1),
            "cold_epoch_ratio": round(statistics.median(pick("cold_epoch_ratio")), 4),
            "cold_epoch_ratio_quartiles": quartiles(pick("cold_epoch_ratio")),
            "anon_growth_ratio": round(statistics.median(pick("anon_growth_ratio")), 4),
            "epoch_rounds": rounds}


# -- the run ---------------------------------------------------------------------------------
def run(args: argparse.Namespace, work: Path, result: dict) -> None:
    cores = available_cpus()
    sides = (args.min_side, args.max_side)
    comp = work / "competition"
    say(f"writing {args.images} photos into {comp}")
    start = time.perf_counter()
    specs = build_photos(comp, args.images, min_side=sides[0], max_side=sides[1],
                         idx_dir=args.idx_dir, workers=cores, quiet=False)
    result["generate_seconds"] = round(time.perf_counter() - start, 1)
    result["load_average"]["generate"] = round(os.getloadavg()[0], 2)
    config = HostConfig().replace(
        competition={"slug": "scale-photos"},
        source={"image_size": [args.side, args.side], "channels": 3},
        plan={"kernel_budget": args.budget or HostConfig().plan.kernel_budget,
              "max_kernels": 64, "decode_workers": 0})
    start = time.perf_counter()
    result.update(preprocess(work, comp, config, specs, args.side, cores))
    result["preprocess_seconds"] = round(time.perf_counter() - start, 1)
    result["load_average"]["preprocess"] = round(os.getloadavg()[0], 2)
    result["shards_gb"] = round(result.pop("shards_bytes") / 1e9, 2)
    result["shards_over_ram"] = round(result["shards_gb"] * 1e9
                                      / (os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")),
                                      3)
    shutil.rmtree(comp)  # the photos are not needed to read the shards
    result["loader_output"] = args.output
    result.update(reading(work / "outputs", args.side, args.repeats, cores, args.output))
    result["load_average"]["reading"] = round(os.getloadavg()[0], 2)


def _interrupted(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # so that the clean-up below runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--output", choices=("uint8", "float32"), default="uint8",
                        help="what the loader hands over (the train kernel: uint8)")
    parser.add_argument("--images", type=int, default=200_000)
    parser.add_argument("--dir", default="build", help="where the competition and shards go")
    parser.add_argument("--budget", type=lambda t: parse_size(t, what="--budget"), default=0,
                        help="per-kernel budget (default: [plan] kernel_budget, 19 GB)")
    parser.add_argument("--side", type=int, default=224, help="stored size: side x side x 3")
    parser.add_argument("--min-side", type=int, default=128)
    parser.add_argument("--max-side", type=int, default=448)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--idx-dir", default=None)
    args = parser.parse_args()
    if args.child:
        outputs, fraction, passes, workers, output = args.child
        child_epoch(outputs, int(fraction), int(passes), int(workers), output)
        return
    started = time.perf_counter()
    base = Path(args.dir).resolve()  # kernels run elsewhere: their mounts need full paths
    base.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": "scale", "images": args.images, "cpus": available_cpus(),
              "ram_gb": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 1e9, 1),
              "load_average": {"start": round(os.getloadavg()[0], 2)}}
    result.update(check_disk(base, args.images, args.side, (args.min_side, args.max_side)))
    result["page_cache_dropped"] = drop_caches()
    if not result["page_cache_dropped"]:
        result["note"] = ("echo 1 > /proc/sys/vm/drop_caches was refused (not root?): the "
                          "cold figures read partly from the page cache")
    work = Path(tempfile.mkdtemp(prefix="scale-bench-", dir=base))
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        run(args, work, result)
    finally:
        say(f"deleting {work}")
        shutil.rmtree(work, ignore_errors=True)
    result["seconds_total"] = round(time.perf_counter() - started, 1)
    result["targets"] = {"preprocess_ratio_vs_pillow": ">= 0.8", "cold_epoch_ratio": ">= 0.8",
                         "anon_growth_ratio": "<= 1.05"}
    result["meets_targets"] = {"preprocess_ratio_vs_pillow":
                               result["preprocess_ratio_vs_pillow"] >= 0.8,
                               "cold_epoch_ratio": result["cold_epoch_ratio"] >= 0.8,
                               "anon_growth_ratio": result["anon_growth_ratio"] <= 1.05}
    emit(result)


if __name__ == "__main__":
    main()
