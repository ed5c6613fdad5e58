"""Kernel folders built by the bundler's rules, a tiny config, a runner for push.py, and the
fixtures of the push scenarios (``fake``: the fake Kaggle server; ``setup``: kernels, config
and credentials for it).

Each kernel folder holds a small script (with its bundle fingerprint in the header line the
bundler writes) and a ``kernel-metadata.json`` filled from the templates in ``kernel-metadata/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fake_kaggle import FakeKaggle
from host.bundle.folder import KernelFolder, kernel_title
from host.kaggle_api.kernel_set import KernelSet

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "kernel-metadata"
COMPETITION = "fashion-mnist-demo"
PRE = [f"fmnist-preprocess-{i:02d}" for i in range(3)]  # make_kernel_set's defaults
TRAIN = "fmnist-train"

TEST_CONFIG = """\
[competition]
slug = "{competition}"
data_dir = "data"
submission = "{submission}"

[kaggle]
owner = "{owner}"
machine_shape = "NvidiaTeslaT4"
max_concurrent = {max_concurrent}
poll_interval = 0.01
max_poll_interval = 0.05
settle_seconds = {settle}
timeout_minutes = {timeout_minutes}
retries = 3
retry_base_seconds = 0.01
retry_max_seconds = 0.05
request_timeout = 1.0
output_dir = "out"
"""


def write_config(path: Path, *, submission: str = "csv", max_concurrent: int = 2,
                 settle: float = 0.3, timeout_minutes: float = 0.1,
                 competition: str = COMPETITION, owner: str = "") -> Path:
    path.write_text(TEST_CONFIG.format(submission=submission, max_concurrent=max_concurrent,
                                       settle=settle, timeout_minutes=timeout_minutes,
                                       competition=competition, owner=owner))
    return path


def make_folder(root: Path, slug: str, role: str, *, owner: str, competition: str = COMPETITION,
                sources: tuple[str, ...] = (), body: str = "", **overrides) -> KernelFolder:
    """One kernel folder; ``overrides`` replace metadata fields (None deletes one)."""
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    script = f"{role}.py"
    code = f"# {slug}\nprint('running {slug}')\n{body}"
    fingerprint = hashlib.sha256(code.encode()).hexdigest()
    text = f"# Bundle fingerprint: sha256:{fingerprint}\n{code}"
    (folder / script).write_text(text)
    meta = json.loads((TEMPLATES / f"{role}.json").read_text())
    meta.update(id=f"{owner}/{slug}", title=kernel_title(slug), code_file=script,
                is_private=True, enable_internet=False, competition_sources=[competition])
    if role == "train":
        meta.update(kernel_sources=[f"{owner}/{s}" for s in sources],
                    machine_shape="NvidiaTeslaT4")
    elif role == "blend":
        meta.update(kernel_sources=[f"{owner}/{s}" for s in sources])
    for key, value in overrides.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    (folder / "kernel-metadata.json").write_text(json.dumps(meta, indent=1))
    return KernelFolder(slug=slug, role=role, path=folder, script=script,
                        fingerprint=fingerprint, sources=sources)


def make_kernel_set(root: Path, *, owner: str = "alice", n_preprocess: int = 3,
                    prefix: str = "fmnist", body: dict[str, str] | None = None) -> KernelSet:
    """``n_preprocess`` preprocessing kernels and a train kernel, indexed in kernels.json."""
    body = body or {}
    slugs = [f"{prefix}-preprocess-{i:02d}" for i in range(n_preprocess)]
    pre = tuple(make_folder(root, s, "preprocess", owner=owner, body=body.get(s, ""))
                for s in slugs)
    train_slug = f"{prefix}-train"
    train = make_folder(root, train_slug, "train", owner=owner, sources=tuple(slugs),
                        body=body.get(train_slug, ""))
    table = "kernel           rows\npreprocess-00    train [0, 200)"
    kernels = KernelSet(pre, train, plan_text=table)
    kernels.save(root)
    return kernels


FOLDS = [f"fmnist-train-fold-{k}" for k in range(3)]  # make_fold_kernel_set's
BLEND = "fmnist-blend"


def make_fold_kernel_set(root: Path, *, owner: str = "alice", n_preprocess: int = 2,
                         folds: int = 3, body: dict[str, str] | None = None) -> KernelSet:
    """Preprocessing kernels, ``folds`` fold kernels that mount them, and the blend kernel."""
    body = body or {}
    pre = tuple(make_folder(root, f"fmnist-preprocess-{i:02d}", "preprocess", owner=owner,
                            body=body.get(f"fmnist-preprocess-{i:02d}", ""))
                for i in range(n_preprocess))
    slugs = tuple(k.slug for k in pre)
    trains = tuple(make_folder(root, f"fmnist-train-fold-{k}", "train", owner=owner,
                               sources=slugs, body=body.get(f"fmnist-train-fold-{k}", ""))
                   for k in range(folds))
    blend = make_folder(root, BLEND, "blend", owner=owner,
                        sources=tuple(k.slug for k in trains), body=body.get(BLEND, ""))
    kernels = KernelSet(pre, trains, plan_text="(folds)", blend=blend)
    kernels.save(root)
    return kernels


def max_running(fake: FakeKaggle, slugs: list[str]) -> int:
    """The most of ``slugs`` that were pushed and not yet seen finished at any one time."""
    running, peak = set(), 0
    for r in fake.requests:
        if r.route == "SaveKernel" and r.status == 200 and r.body["slug"].split("/")[1] in slugs:
            running.add(r.body["slug"].split("/")[1])
        elif r.route == "GetKernelSessionStatus" and (r.answer or {}).get("status") in (
                "COMPLETE", "ERROR"):
            running.discard(r.body["kernelSlug"])
        peak = max(peak, len(running))
    return peak


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment without any real Kaggle settings, HOME in ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAGGLE_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               KAGGLE_CONFIG_DIR=str(home / "kaggle-config"), PYTHONDONTWRITEBYTECODE="1")
    (home / "kaggle-config").mkdir(parents=True, exist_ok=True)
    env.update(extra)
    return env


def run_push(args: list[str], *, cwd: Path, env: dict[str, str],
             timeout: float = 60) -> subprocess.CompletedProcess:
    """``python scripts/push.py ARGS`` in a fresh process (the client reads its config folder
    at import time, so every run imports it under the test's HOME)."""
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "push.py"), *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def fake():
    """A fake Kaggle server on 127.0.0.1 for one test."""
    with FakeKaggle() as server:
        yield server


@pytest.fixture
def setup(tmp_path, fake):
    """Built kernels, a test config, and an environment with API-key credentials."""
    kernels = make_kernel_set(tmp_path / "kernels")
    config = write_config(tmp_path / "pipeline.toml")
    env = clean_env(tmp_path / "home", KAGGLE_USERNAME=fake.username, KAGGLE_KEY=fake.key,
                    KAGGLE_PIPELINE_API_URL=fake.url)
    args = ["--config", str(config), "--kernels", str(tmp_path / "kernels")]
    return kernels, args, env


def push(tmp_path: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """``run_push`` in ``tmp_path``."""
    return run_push(args, cwd=tmp_path, env=env)
