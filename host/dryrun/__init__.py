"""The local dry run: the very same kernel folders, run in an emulated ``/kaggle`` tree."""

from host.dryrun.pipeline import DryRunError, DryRunOptions, run_dry_run

__all__ = ["DryRunError", "DryRunOptions", "run_dry_run"]
