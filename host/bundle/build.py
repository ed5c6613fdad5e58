"""build_kernels: the planner's assignments into kernel folders ``kaggle kernels push`` accepts.

Each folder holds ``<slug>.py`` (see ``script.py``) and ``kernel-metadata.json`` filled from
the role's template in ``kernel-metadata/``. The dry run and the push script use the very same
folders.

A kernel's fingerprint covers exactly what it carries: its entry script, the runtime modules
that script imports (``closure.runtime_closure``) and its baked assignment, which holds only
the settings its role reads (``shared.assignment.baked``). So editing the model or the training
loop leaves every preprocessing kernel unchanged, and editing host code (planning, the dry
run, the push) changes no kernel.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path
from typing import Any

from host.bundle.accelerator import role_accelerator
from host.bundle.closure import runtime_closure
from host.bundle.folder import METADATA_NAME, KernelFolder, kernel_title
from host.bundle.model_sources import model_sources
from host.bundle.script import fingerprint, package_zip, render_script
from host.kernel_stages import KernelStages
from host.settings import HostConfig
from shared.assignment import (Assignment, BlendAssignment, InferAssignment, TrainAssignment,
                               baked, dump_assignment)
from shared.store.atomic import write_text_atomic

__all__ = ["build_kernels", "mount_own_output", "repo_root", "role_code"]


def repo_root() -> Path:
    """The repository holding ``kernels/`` and ``kernel-metadata/``."""
    return Path(__file__).resolve().parents[2]


def _template(root: Path, role: str) -> dict[str, Any]:
    path = root / "kernel-metadata" / f"{role}.json"
    if not path.is_file():
        raise FileNotFoundError(f"metadata template {path} is missing: restore it from git")
    return json.loads(path.read_text(encoding="utf-8"))


def _metadata(root: Path, assignment, owner: str, config: HostConfig,
              script: str) -> dict[str, Any]:
    meta = _template(root, assignment.role)
    meta.update(
        id=f"{owner}/{assignment.kernel}",
        title=kernel_title(assignment.kernel),
        code_file=script,
        is_private=config.kaggle.is_private,
        enable_internet=config.kaggle.enable_internet,
        competition_sources=[assignment.competition],
    )
    if isinstance(assignment, (TrainAssignment, BlendAssignment, InferAssignment)):
        meta["kernel_sources"] = [f"{owner}/{slug}" for slug in assignment.sources]
    meta.pop("machine_shape", None)  # the role's machine, decided in one place
    meta.update(role_accelerator(assignment.role, config.kaggle.machine_shape,
                                 infer=config.kaggle.infer_accelerator))
    models = model_sources(assignment)
    if models:
        meta["model_sources"] = models
    return meta


def role_code(root: Path, role: str) -> tuple[str, bytes]:
    """The entry script of ``role`` and the zip of the runtime modules it runs."""
    entry = root / "kernels" / f"{role}.py"
    if not entry.is_file():
        raise FileNotFoundError(f"kernel entry script {entry} is missing")
    return entry.read_text(encoding="utf-8"), package_zip(runtime_closure(entry, root), root)


def _build_one(assignment, out_dir: Path, owner: str, config: HostConfig, root: Path,
               code: tuple[str, bytes]) -> KernelFolder:
    entry_source, zip_bytes = code
    # The local data folder means nothing on Kaggle (and is the user's own path): not baked.
    unsigned = baked(dataclasses.replace(
        assignment, config=config.replace(competition={"data_dir": ""})))
    digest = fingerprint(zip_bytes, entry_source, dump_assignment(unsigned))
    signed = dataclasses.replace(unsigned, bundle_fingerprint=digest)
    folder = out_dir / assignment.kernel
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    script = f"{assignment.kernel}.py"
    write_text_atomic(folder / script, render_script(
        slug=assignment.kernel, role=assignment.role, entry_name=f"kernels/{assignment.role}.py",
        entry_source=entry_source, zip_bytes=zip_bytes, assignment_json=dump_assignment(signed),
        bundle_fingerprint=digest))
    meta = _metadata(root, assignment, owner, config, script)
    write_text_atomic(folder / METADATA_NAME, json.dumps(meta, indent=2) + "\n")
    sources = getattr(assignment, "sources", ())
    return KernelFolder(slug=assignment.kernel, role=assignment.role, path=folder,
                        script=script, fingerprint=digest, sources=tuple(sources),
                        models=tuple(meta.get("model_sources", ())))


def build_kernels(stages: KernelStages[Assignment], out_dir: str | os.PathLike, *, owner: str,
                  config: HostConfig, root: str | os.PathLike | None = None
                  ) -> KernelStages[KernelFolder]:
    """Write one kernel folder per assignment of ``stages`` (a ``Plan``) under ``out_dir``, in
    the same stages; of ``config``, each kernel bakes in what its role reads. ``root`` is the
    repository holding ``kernels/``, ``kernel-metadata/`` and ``shared/`` (default: this
    one)."""
    if not owner:
        raise ValueError("owner is empty: give the Kaggle user name that will own the kernels")
    root = Path(root or repo_root())
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    code = {role: role_code(root, role) for role in sorted({a.role for a in stages.all})}
    return stages.map(lambda a: _build_one(a, out, owner, config, root, code[a.role]))


def mount_own_output(train: KernelFolder, *, owner: str, mounted: bool) -> KernelFolder:
    """The train kernel with (``mounted``) or without its own id in ``kernel_sources``.

    Mounted, its next run sees its previous output under ``/kaggle/input`` and continues the
    training recorded in ``train_state.json`` there (``push.py --continue-training``). Rewrites
    ``kernel-metadata.json``; the script, and so the fingerprint, stay as they are.
    """
    if train.role != "train":
        raise ValueError(f"mount_own_output: {train.slug} is a {train.role!r} kernel; only the "
                         "train kernel can continue its own earlier run")
    own = f"{owner}/{train.slug}"
    meta = train.metadata()
    sources = [s for s in meta.get("kernel_sources", []) if s != own]
    meta["kernel_sources"] = sources + ([own] if mounted else [])
    write_text_atomic(train.path / METADATA_NAME, json.dumps(meta, indent=2) + "\n")
    slugs = tuple(s for s in train.sources if s != train.slug)
    return dataclasses.replace(train, sources=slugs + ((train.slug,) if mounted else ()))
