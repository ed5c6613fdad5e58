"""Run the whole pipeline locally, in an emulated /kaggle tree, under Kaggle's limits.

    python scripts/dry_run.py                                  # the embedded example
    python scripts/dry_run.py --data ~/comp --disk-budget 50MB --epochs 2
    python scripts/dry_run.py --only train                     # re-use the preprocessing outputs
    python scripts/dry_run.py --kernel-python .venv-kaggle/bin/python   # under Kaggle's versions
    python scripts/dry_run.py --data build/photos --set 'source.image_size=[224, 224]'
    python scripts/dry_run.py --data ~/comp --rerun-data ~/comp-hidden   # a code competition

Builds the very kernel folders that scripts/push.py uploads, runs the preprocessing kernels
(in parallel), then the train kernel, scores submission.csv when the data folder holds a
solution.csv, and writes <workdir>/report.json. For a code competition ([competition]
submission = "code") the inference kernel runs last; --rerun-data then runs it again on a
hidden competition folder, as Kaggle's scoring rerun does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# This checkout's host/ and shared/ come first: not another clone's installed in the same
# environment, whose code the kernels would otherwise carry (host.bundle.checkout).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from host.config_file import apply_overrides, load_config  # noqa: E402
from shared.units import format_size, parse_size
from host.dryrun import DryRunError, DryRunOptions, run_dry_run
from host.bundle.checkout import check_checkout


INTERRUPTED = ("interrupted: your data is safe (kernels only read it, finished shards are "
               "kept and nothing half-written looks finished); run the same command again to "
               "resume")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, received {text!r}")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="pipeline.toml", help="settings (pipeline.toml)")
    parser.add_argument("--data", help="competition folder (default: [competition] data_dir)")
    parser.add_argument("--workdir", default="build/dry-run", help="where the emulated tree, "
                        "kernels, logs and report.json go")
    parser.add_argument("--epochs", type=_positive, help="override [train] epochs")
    parser.add_argument("--backend", choices=("tensorflow", "jax"),
                        help="override [train] backend (Keras' backend in the train kernel)")
    parser.add_argument("--only", choices=("preprocess", "train"),
                        help="run one stage; train re-uses the outputs already in --workdir")
    parser.add_argument("--disk-budget", help="per-kernel output budget, e.g. 50MB "
                        "(overrides [plan] kernel_budget; drives how many kernels run)")
    parser.add_argument("--shard-size", help="largest size of one shard, e.g. 256KB (overrides "
                        "[store] shard_bytes; the planner lowers it when a kernel's budget "
                        "would hold fewer than four)")
    parser.add_argument("--output-cap", default="20GB", help="what one kernel may write "
                        "(Kaggle: about 20 GB)")
    parser.add_argument("--mounts", choices=("notebooks", "legacy"), default="notebooks",
                        help="how kernel outputs are mounted: input/notebooks/<owner>/<slug> "
                        "or input/<slug>")
    parser.add_argument("--parallel", type=_positive, help="preprocessing kernels at once "
                        "(default: [kaggle] max_concurrent)")
    parser.add_argument("--kernel-python", metavar="PATH", help="the Python that runs the "
                        "kernels, e.g. .venv-kaggle/bin/python to run them under Kaggle's "
                        "library versions (make kaggle-env builds it); default: this one")
    parser.add_argument("--set", action="append", default=[], metavar="TABLE.KEY=VALUE",
                        help="override one setting of the config file, as TOML: "
                        "--set 'source.image_size=[224, 224]' --set source.channels=3")
    parser.add_argument("--rerun-data", metavar="DIR", help="a code competition's hidden "
                        "folder (the train files, the hidden test images and the full "
                        "sample_submission.csv; solution.csv to score): after the run, the "
                        "inference kernel runs again on it, offline, as Kaggle's scoring "
                        "rerun does")
    parser.add_argument("--verify-input", choices=("stat", "full"), default="stat",
                        help="how inputs are checked unchanged after each kernel: sizes and "
                        "modification times (stat), or content hashes (full; slow on big data)")
    return parser.parse_args(argv)


def print_summary(report: dict) -> None:
    print("\nkernel                                   status  seconds      output")
    for k in report["kernels"]:
        status = "ok" if k["exit_status"] == 0 else f"exit {k['exit_status']}"
        print(f"{k['slug']:<40} {status:>6} {k['wall_seconds']:>8.1f} "
              f"{format_size(k['output_bytes']):>11}")
    if report.get("submission"):
        print(f"\nsubmission: {report['submission']}")
    if report.get("local_score"):
        score = report["local_score"]
        print(f"local score ({score['metric']}): {score['value']:.4f}")
    if report.get("scoring_error"):
        print(f"local score: none, {report['scoring_error']}")
    if report.get("inference"):
        inference = report["inference"]
        print(f"inference: {inference['test_rows']} rows, {inference['images_per_s']} images/s")
    if (report.get("fallback") or {}).get("rows"):
        fallback = report["fallback"]
        print(f"fallback: {fallback['rows']} test rows had no image and got the prior "
              f"prediction {fallback.get('values')} (ids {', '.join(fallback['ids'][:5])}"
              + (", ..." if fallback["rows"] > 5 else "") + ")")
    if report.get("rerun"):
        rerun = report["rerun"]
        print(f"rerun ({rerun['data']}): {rerun['rows']} rows, {rerun['images_per_s']} "
              f"images/s, submission {rerun['submission']}; network {rerun['network']}")
        if rerun.get("local_score"):
            print(f"rerun score ({rerun['local_score']['metric']}): "
                  f"{rerun['local_score']['value']:.4f}")
        if (rerun.get("fallback") or {}).get("rows"):
            print(f"rerun fallback: {rerun['fallback']['rows']} rows had no usable image "
                  f"(ids {', '.join(rerun['fallback']['ids'][:5])})")
    print(f"report: {report['workdir']}/report.json")


def options_from(args: argparse.Namespace) -> DryRunOptions:
    """The settings file with the command line's overrides applied."""
    config = apply_overrides(load_config(args.config), args.set)
    if args.epochs is not None:
        config = config.replace(train={"epochs": args.epochs})
    if args.backend is not None:
        config = config.replace(train={"backend": args.backend})
    if args.disk_budget:
        config = config.replace(plan={"kernel_budget": parse_size(args.disk_budget,
                                                                  what="--disk-budget")})
    if args.shard_size:
        config = config.replace(store={"shard_bytes": parse_size(args.shard_size,
                                                                 what="--shard-size")})
    return DryRunOptions(
        config=config, data_dir=Path(args.data or config.competition.data_dir).resolve(),
        workdir=Path(args.workdir).resolve(), only=args.only or "", mounts=args.mounts,
        parallel=args.parallel or config.kaggle.max_concurrent,
        output_cap=parse_size(args.output_cap, what="--output-cap"),
        verify_input=args.verify_input, kernel_python=args.kernel_python or "",
        rerun_data=Path(args.rerun_data).resolve() if args.rerun_data else None)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        check_checkout(__file__)
        report = run_dry_run(options_from(args))
    except (DryRunError, ValueError, OSError) as exc:
        print(f"\ndry run failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\n{INTERRUPTED}", file=sys.stderr)
        return 130
    print_summary(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
