"""The text ``push.py --plan`` prints: every kernel, what it mounts, and the planner's table."""

from __future__ import annotations

from host.bundle.folder import KernelFolder
from host.kaggle_api.kernel_set import KernelSet

__all__ = ["format_plan"]


def _mounts(kernel: KernelFolder) -> str:
    meta = kernel.metadata()
    parts = [f"competition {c}" for c in meta.get("competition_sources", [])]
    parts += [f"dataset {d}" for d in meta.get("dataset_sources", [])]
    parts += [f"model {m}" for m in meta.get("model_sources", [])]
    if meta.get("kernel_sources"):
        parts.append(f"{len(meta['kernel_sources'])} kernel output(s)")
    return ", ".join(parts) or "nothing"


def _settings(kernel: KernelFolder) -> str:
    meta = kernel.metadata()
    accelerator = meta.get("machine_shape") or ("GPU" if meta.get("enable_gpu") else "CPU")
    internet = {True: "internet on", False: "internet off"}.get(meta.get("enable_internet"),
                                                                 "internet UNSET")
    private = {True: "private", False: "PUBLIC"}.get(meta.get("is_private"), "visibility UNSET")
    return f"{accelerator}, {internet}, {private}"


def format_plan(kernels: KernelSet, *, competition: str, owner: str) -> str:
    """A table of the kernels in push order, followed by the planner's own table."""
    then = "the train kernel" if kernels.blend is None else (
        f"{len(kernels.trains)} fold kernels (at most [kaggle] max_concurrent_gpu at once), "
        "then the blend kernel")
    if kernels.infer is not None:
        then += ", then the inference kernel (the one submitted: Kaggle re-runs it to score)"
    lines = [f"competition {competition}; kernels pushed as {owner}/<slug>; "
             f"{len(kernels.preprocess)} preprocessing kernel(s), then {then}", ""]
    rows = [("kernel", "role", "runs on", "mounts", "bundle")]
    for k in kernels.kernels:
        rows.append((f"{owner}/{k.slug}", k.role, _settings(k), _mounts(k), k.fingerprint[:12]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    for kernel in (*kernels.trains, *(k for k in (kernels.blend, kernels.infer) if k)):
        kernel_id = f"{owner}/{kernel.slug}"
        sources = [s + (" (its own latest output: --continue-training)" if s == kernel_id
                        else "") for s in kernel.metadata().get("kernel_sources", [])]
        lines.append(f"{kernel_id} mounts the outputs of: " + (", ".join(sources) or "nothing"))
    lines.append("")
    lines.append(kernels.plan_text.rstrip() or "(no planner table: these kernels were loaded "
                 "from a kernels.json without one)")
    lines.append("")
    lines.append(f"kernel folders: {kernels.final.path.parent}")
    return "\n".join(lines)
