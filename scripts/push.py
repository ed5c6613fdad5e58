"""Run the pipeline on Kaggle: push the preprocessing kernels, then the train kernel, download
its outputs and (``--submit``) submit them. ``--plan`` only builds and shows the kernels.

    python scripts/push.py --plan                    # no network, no credentials
    python scripts/push.py --submit                  # the whole run
    python scripts/push.py --skip-unchanged --submit # re-run: only what changed or failed
    python scripts/push.py --continue-training --skip-unchanged --submit
                                                     # continue a time-limited training

Before the first upload the push reads this week's GPU/TPU hours (``kaggle quota``) and
refuses a run that would need more (``--ignore-quota`` pushes anyway).

Credentials come from where the official ``kaggle`` client looks (``KAGGLE_USERNAME`` /
``KAGGLE_KEY``, ``kaggle.json``, ``KAGGLE_API_TOKEN``); ``KAGGLE_PIPELINE_API_URL`` sends the
client to another server (tests, proxies). Exit status: 0 done, 1 the run failed (what
finished is listed; also when the quota could not be read), 2 bad input, no credentials or
too few GPU/TPU hours left (nothing was uploaded).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

# This checkout's host/ and shared/ come first: not another clone's installed in the same
# environment, whose code the kernels would otherwise carry (host.bundle.checkout).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from host.config_file import load_config  # noqa: E402
from host.settings import HostConfig
from host.kaggle_api import (CredentialsError, KaggleService, KernelSet,
                               MetadataRules, PollSettings, PushFailed, PushOptions, RetryPolicy,
                               api_base_url, connect, format_plan, local_username, preflight,
                               require_credentials, run_push)
from host.kaggle_api.quota import check_push_quota
from host.kaggle_api.retry import call_with_retry
from host.bundle.checkout import check_checkout

PLACEHOLDER_OWNER = "your-kaggle-username"


def build_kernel_folders(config: HostConfig, out_dir: Path, *, owner: str) -> KernelSet:
    """Plan the run from the local competition data and build one folder per kernel."""
    # Imported here: pushing a saved build (--kernels) needs neither pandas nor Pillow.
    from host.bundle.build import build_kernels
    from host.planning import make_plan

    plan = make_plan(config, Path(config.competition.data_dir))
    built = build_kernels(plan, out_dir, owner=owner, config=config)
    kernels = KernelSet.from_built(built, plan_text=plan.table())
    kernels.save(out_dir)
    return kernels


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="pipeline.toml", help="settings file (pipeline.toml)")
    p.add_argument("--competition", help="competition slug (default: [competition] slug)")
    p.add_argument("--data", type=Path, help="local copy of the competition data, as "
                   "'kaggle competitions download' unpacks it (default: [competition] data_dir)")
    p.add_argument("--kernels", type=Path, help="push kernels built earlier (a folder with "
                   "kernels.json) instead of planning and building them")
    p.add_argument("--build-dir", type=Path, default=Path("build/kernels"),
                   help="where kernel folders are built (default: build/kernels)")
    p.add_argument("--out", type=Path, help="where outputs go (default: [kaggle] output_dir)")
    p.add_argument("--plan", action="store_true", help="build the kernels and print the plan; "
                   "no network, no credentials")
    p.add_argument("--submit", action="store_true", help="submit the train kernel's result")
    p.add_argument("--skip-unchanged", action="store_true", help="do not re-run kernels whose "
                   "bundle equals the one of their latest completed run")
    p.add_argument("--poll-interval", type=float, metavar="SECONDS",
                   help="first status polling interval (default: [kaggle] poll_interval)")
    p.add_argument("--message", default="", help="submission description")
    p.add_argument("--ignore-quota", action="store_true", help="push even when this week's "
                   "GPU/TPU hours look too few for the kernels, or cannot be read (both are "
                   "still printed when known)")
    p.add_argument("--continue-training", action="store_true", help="the train kernel mounts "
                   "its own latest output and continues the training recorded there (after a "
                   "run stopped by [train] time_limit_hours); best with --skip-unchanged")
    return p.parse_args(argv)


def effective_config(args: argparse.Namespace) -> HostConfig:
    config = load_config(args.config)
    competition: dict = {}
    if args.competition:
        competition["slug"] = args.competition
    if args.data:
        competition["data_dir"] = str(args.data.resolve())
    kaggle = {"poll_interval": args.poll_interval} if args.poll_interval is not None else {}
    return config.replace(competition=competition, kaggle=kaggle)


def load_kernels(args: argparse.Namespace, config: HostConfig, owner: str) -> KernelSet:
    """The kernels to push, their train kernel mounting its own output iff
    ``--continue-training`` (a saved build is updated in place, kernels.json included)."""
    if args.kernels:
        folder, kernels = args.kernels, KernelSet.load(args.kernels)
    else:
        data_dir = Path(config.competition.data_dir)
        if not data_dir.is_dir():
            raise FileNotFoundError(
                f"competition data not found at {data_dir}: download it with 'kaggle "
                f"competitions download -c {config.competition.slug}' and unzip it there, or "
                "pass --data DIR")
        folder, kernels = args.build_dir, build_kernel_folders(config, args.build_dir,
                                                               owner=owner)
    if kernels.continues_training != args.continue_training:
        from host.bundle.build import mount_own_output

        trains = tuple(mount_own_output(k, owner=owner, mounted=args.continue_training)
                       for k in kernels.trains)
        kernels = dataclasses.replace(kernels, trains=trains)
        kernels.save(folder)
    return kernels


def rules_for(config: HostConfig, owner: str, args: argparse.Namespace) -> MetadataRules:
    k = config.kaggle
    return MetadataRules(owner=owner, competition=config.competition.slug,
                         is_private=k.is_private, enable_internet=k.enable_internet,
                         machine_shape=k.machine_shape, continue_training=args.continue_training,
                         infer_accelerator=k.infer_accelerator)


def show_plan(args: argparse.Namespace, config: HostConfig) -> int:
    owner = config.kaggle.owner or local_username()
    if args.kernels and not owner:  # already built: the ids say whose they are
        owner = str(KernelSet.load(args.kernels).final.metadata().get("id", "")).split("/")[0]
    owner = owner or PLACEHOLDER_OWNER
    kernels = load_kernels(args, config, owner)
    print(format_plan(kernels, competition=config.competition.slug, owner=owner))
    if owner == PLACEHOLDER_OWNER:
        print(f"note: no user name in [kaggle] owner or the credentials; ids use "
              f"{PLACEHOLDER_OWNER!r}")
        return 0
    preflight(kernels, rules_for(config, owner, args), None)
    print("kernel-metadata.json: every kernel passes the checks")
    return 0


def push(args: argparse.Namespace, config: HostConfig) -> int:
    credentials = require_credentials()
    k = config.kaggle
    retry = RetryPolicy.from_config(k)
    base_url = api_base_url()
    api = call_with_retry(lambda: connect(credentials, base_url=base_url,
                                          request_timeout=k.request_timeout),
                          what="sign in to Kaggle", policy=retry,
                          on_retry=lambda line: print(line, flush=True))
    owner = k.owner or api.get_config_value(api.CONFIG_NAME_USER) or credentials.username
    print(f"credentials: {credentials.kind} from {credentials.source}; kernels go to {owner}/")
    kernels = load_kernels(args, config, owner)
    options = PushOptions(
        competition=config.competition.slug, submission=config.competition.submission,
        submit=args.submit, skip_unchanged=args.skip_unchanged, max_concurrent=k.max_concurrent,
        max_concurrent_gpu=k.max_concurrent_gpu,
        poll=PollSettings.from_config(k),
        output_dir=args.out or Path(k.output_dir), message=args.message,
        continue_training=args.continue_training,
        max_fallback_fraction=config.competition.max_fallback_fraction)
    service = KaggleService(api, retry=retry, say=lambda line: print(line, flush=True),
                            download_timeout=k.request_timeout)
    check_push_quota(service, kernels, owner=owner, default_epochs=config.train.epochs,
                     ignore=args.ignore_quota, say=lambda line: print(line, flush=True))
    try:
        report = run_push(service, kernels, owner=owner, options=options,
                          rules=rules_for(config, owner, args), credentials=credentials,
                          say=lambda line: print(line, flush=True))
    except PushFailed as exc:
        print(exc.report.summary(), flush=True)
        if exc.traceback:
            print(exc.traceback, file=sys.stderr, end="")
        print(f"error: {exc}", file=sys.stderr)
        if exc.rerun_helps:
            print("what finished is listed above; re-run with --skip-unchanged to continue",
                  file=sys.stderr)
        return 1
    print(report.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        check_checkout(__file__)
        config = effective_config(args)
        return show_plan(args, config) if args.plan else push(args, config)
    except CredentialsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # requests' errors are OSErrors: Kaggle could not be reached
        print(f"error: could not talk to Kaggle: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
