"""Running one kernel folder of a dry run, checked as Kaggle enforces, with its sources mounted.

After each kernel the dry run checks what Kaggle enforces: it succeeded, its inputs are
unchanged (they are read-only there) and its output stays under the cap. Any failure raises
``DryRunError`` naming the kernel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from host.bundle.accelerator import runs_on_accelerator
from host.bundle.folder import KernelFolder
from host.dryrun.inputs import changes, snapshot
from host.dryrun.options import SOLUTION_NAME, DryRunError, DryRunOptions
from host.dryrun.runner import KernelRun, run_kernel
from host.dryrun.tree import (KernelTree, make_tree, mount_competition, mount_model,
                              mount_output,
                              replacing_working)
from shared.units import format_size

__all__ = ["run_checked", "finished_outputs", "mounted_run"]

_KINDS = {"preprocess": "preprocessing", "train": "train", "blend": "blend"}


def run_checked(folder: KernelFolder, tree: KernelTree, options: DryRunOptions, *,
                env: Mapping[str, str] | None = None, offline: bool = False,
                name: str = "") -> KernelRun:
    """Run ``folder`` in ``tree``; DryRunError when it fails, writes its input or its output
    exceeds the cap."""
    before = snapshot(tree.input, content=options.verify_input == "full")
    accelerated = options.accelerated_env if runs_on_accelerator(folder.role) else {}
    run = run_kernel(folder, tree, log_dir=options.workdir / "logs", echo=options.echo,
                     python=options.kernel_python, env={**accelerated, **(env or {})},
                     offline=offline, name=name)
    if run.exit_status != 0:
        raise DryRunError(f"kernel {run.slug} failed with exit status {run.exit_status}; "
                          f"the end of its log ({run.log}):\n{run.log_tail()}")
    changed = changes(before, snapshot(tree.input, content=options.verify_input == "full"))
    if changed:
        raise DryRunError(f"kernel {folder.slug} modified its read-only input ("
                          + "; ".join(changed) + "): Kaggle inputs cannot be written, write "
                          "to the working directory instead")
    if run.output_bytes > options.output_cap:
        raise DryRunError(f"kernel {folder.slug} wrote {format_size(run.output_bytes)} to "
                          f"{tree.working}, over the output cap of "
                          f"{format_size(options.output_cap)}: lower [plan] kernel_budget "
                          "(or --disk-budget) so the planner gives each kernel fewer rows")
    return run


def finished_outputs(folders: tuple[KernelFolder, ...], options: DryRunOptions,
                     marker: str) -> list[Path]:
    """The finished output folder of each of ``folders`` (``marker`` shows it finished)."""
    outputs = []
    for folder in folders:
        output = options.workdir / "kaggle" / folder.slug / "working"
        if not (output / marker).is_file():
            kind = _KINDS.get(folder.role, folder.role)
            raise DryRunError(f"no finished output of {folder.slug} in {output}: run the "
                              f"{kind} kernels first"
                              + (" (without --only train)" if kind == "preprocessing" else ""))
        outputs.append(output)
    return outputs


def mounted_run(folder: KernelFolder, sources: tuple[KernelFolder, ...], outputs: list[Path],
                options: DryRunOptions, *, data_dir: Path | None = None, name: str = "",
                env: Mapping[str, str] | None = None, offline: bool = False
                ) -> tuple[KernelRun, KernelTree]:
    """Run ``folder`` with the competition (``data_dir``, default the dry run's) and
    ``outputs`` (of ``sources``) mounted, in the tree ``name`` (default its slug); its earlier
    outputs stay until the new run succeeds."""
    tree = make_tree(options.workdir / "kaggle", name or folder.slug, clear_working=False)
    mount_competition(tree, data_dir or options.data_dir, options.config.competition.slug,
                      exclude=(SOLUTION_NAME,))
    for source, output in zip(sources, outputs):
        mount_output(tree, output, owner=options.owner, slug=source.slug,
                     mounts=options.mounts)
    models = folder.metadata().get("model_sources", [])
    if models:  # presets, from kagglehub's cache (imported here, as the planner is)
        from host.planning.presets import cached_preset
        from shared.models.handles import ModelHandle

        for handle in models:
            mount_model(tree, handle, cached_preset(ModelHandle.parse(handle)),
                        mounts=options.mounts)
    with replacing_working(tree):
        return run_checked(folder, tree, options, env=env, offline=offline, name=name), tree
