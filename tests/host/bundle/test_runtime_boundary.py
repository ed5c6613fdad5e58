"""The runtime/host line: kernels run only ``shared``, and each role carries only what it runs.

The fingerprint tests work the way a user would: a copy of the repository, one edit, then
``scripts/push.py --plan`` run from that copy, and the fingerprints in ``kernels.json``
compared with those before the edit.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from host.bundle.closure import HOST_PACKAGES, BoundaryError, imports_of, runtime_closure

ROOT = Path(__file__).resolve().parents[3]


def test_no_runtime_module_imports_host_code():
    """The import graph of every file in shared/ and kernels/, imports in functions included."""
    crossing = [f"{edge.source.relative_to(ROOT)}:{edge.line} imports {edge.module}"
                for folder in ("shared", "kernels")
                for path in sorted((ROOT / folder).rglob("*.py"))
                for edge in imports_of(path, ROOT)
                if edge.module.split(".")[0] in HOST_PACKAGES]
    assert crossing == []


def test_the_inference_kernel_carries_no_training_code():
    files = {p.relative_to(ROOT).as_posix() for p in runtime_closure(
        ROOT / "kernels" / "infer.py", ROOT)}
    assert {"shared/inference/run.py", "shared/inference/stream.py",
            "shared/preprocess/decode_jobs.py", "shared/sources/decode.py",
            "shared/submission.py",
            # a model fine-tuned on a preset is read back with the layers it was saved with
            "shared/models/_keras_layers.py", "shared/models/presets.py"} <= files
    assert not [f for f in files if f.startswith("shared/data/")
                or f in ("shared/training/run.py", "shared/training/session.py",
                         "shared/training/fine_tune.py", "shared/training/callbacks.py",
                         "shared/store/writer.py", "shared/store/reader.py")]


@pytest.mark.parametrize("role", ["preprocess", "train"])
def test_each_role_carries_the_runtime_modules_it_imports(role):
    files = {p.relative_to(ROOT).as_posix() for p in runtime_closure(
        ROOT / "kernels" / f"{role}.py", ROOT)}
    assert {"shared/__init__.py", "shared/assignment.py", "shared/config.py"} <= files
    assert all(f.startswith("shared/") for f in files)
    if role == "preprocess":
        assert {"shared/preprocess/run.py", "shared/sources/decode.py",
                "shared/store/writer.py"} <= files
        assert not {"shared/models/article.py", "shared/tasks/label.py", "shared/training/run.py",
                    "shared/data/sequence.py", "shared/store/reader.py"} & files  # train side's
    else:
        assert {"shared/models/article.py", "shared/models/better.py", "shared/training/run.py",
                "shared/data/sequence.py", "shared/store/reader.py"} <= files
        assert not {"shared/preprocess/run.py", "shared/store/writer.py",
                    "shared/sources/decode.py"} & files


def test_an_import_of_host_code_is_refused_with_file_and_line(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "shared", repo / "shared")
    (repo / "kernels").mkdir()
    entry = repo / "kernels" / "train.py"
    entry.write_text("import shared.config\n\n\ndef main():\n    from host.planning import make_plan\n")
    with pytest.raises(BoundaryError, match=r"kernels/train.py:5 imports host.planning, which "
                                            r"runs on the user's machine"):
        runtime_closure(entry, repo)
    entry.write_text("from shared import model\n")
    (repo / "shared" / "model.py").write_text("from ..config import PipelineConfig\n"
                                              "import scripts.push\n")
    with pytest.raises(BoundaryError, match=r"shared/model.py:2 imports scripts.push"):
        runtime_closure(entry, repo)


def test_lazy_exports_and_type_checking_imports_follow_what_runs(tmp_path):
    repo = tmp_path / "repo"
    (repo / "shared" / "pkg").mkdir(parents=True)
    (repo / "shared" / "__init__.py").write_text("")
    (repo / "shared" / "pkg" / "__init__.py").write_text(
        "from shared.lazy import lazy_exports\n"
        "__getattr__, __dir__, __all__ = lazy_exports(__name__, {\n"
        "    'shared.pkg.a': ('A',), 'shared.pkg.b': ('B',)})\n")
    for name in ("a", "b", "typed"):
        (repo / "shared" / "pkg" / f"{name}.py").write_text(f"{name.upper()} = 1\n")
    (repo / "shared" / "lazy.py").write_text("")
    entry = repo / "entry.py"
    entry.write_text("from typing import TYPE_CHECKING\nfrom shared.pkg import A\n"
                     "if TYPE_CHECKING:\n    from shared.pkg import typed\n")
    names = {p.relative_to(repo).as_posix() for p in runtime_closure(entry, repo)}
    assert names == {"shared/__init__.py", "shared/lazy.py", "shared/pkg/__init__.py",
                     "shared/pkg/a.py"}
    entry.write_text("import shared.pkg\n")  # the whole package: every lazy export
    names = {p.relative_to(repo).as_posix() for p in runtime_closure(entry, repo)}
    assert {"shared/pkg/a.py", "shared/pkg/b.py"} <= names and "shared/pkg/typed.py" not in names


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """The repository's files (tracked, or new and not ignored), copied: a clone to edit."""
    target = tmp_path_factory.mktemp("clone")
    tracked = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], cwd=ROOT, capture_output=True,
                             check=True).stdout.decode().split("\0")
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_file() and not name.startswith(("tests/", "benchmarks/")):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def code_clone(clone, tmp_path_factory):
    """The clone, planned as a code competition (the embedded example's test set then comes
    at inference time)."""
    target = tmp_path_factory.mktemp("code-clone") / "repo"
    shutil.copytree(clone, target, symlinks=True)
    toml = target / "pipeline.toml"
    toml.write_text(toml.read_text().replace('submission = "csv"', 'submission = "code"', 1))
    return target


def fingerprints(clone: Path, build: str) -> dict[str, str]:
    """``push.py --plan`` run from ``clone`` (its own code first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(clone)}
    proc = subprocess.run([sys.executable, "scripts/push.py", "--plan", "--build-dir", build],
                          cwd=clone, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    index = json.loads((clone / build / "kernels.json").read_text())
    return {k["slug"]: k["fingerprint"] for k in index["kernels"]}


def edited(clone: Path, name: str, build: str) -> dict[str, str]:
    path = clone / name
    original = path.read_text()
    path.write_text(original + "\n# an edit\n")
    try:
        return fingerprints(clone, build)
    finally:
        path.write_text(original)


@pytest.mark.slow
def test_editing_the_model_changes_only_the_train_kernel(clone):
    before = fingerprints(clone, "build/a")
    after = edited(clone, "shared/models/better.py", "build/b")
    changed = {slug for slug in before if before[slug] != after[slug]}
    assert changed == {"fashion-mnist-demo-train"}


@pytest.mark.slow
def test_editing_the_push_or_the_dry_run_changes_no_kernel(clone):
    before = fingerprints(clone, "build/c")
    assert edited(clone, "host/kaggle_api/orchestrate.py", "build/d") == before
    assert edited(clone, "host/dryrun/pipeline.py", "build/e") == before


@pytest.mark.parametrize("module, changes", [
    ("shared/sources/decode.py", {"preprocess"}),
    ("shared/store/reader.py", {"train"}),
    ("shared/store/manifest.py", {"preprocess", "train"}),
])
@pytest.mark.slow
def test_each_kernel_changes_with_the_runtime_code_it_runs(clone, module, changes):
    before = fingerprints(clone, "build/f")
    after = edited(clone, module, "build/g")
    changed = {"preprocess" if "-preprocess-" in slug else "train"
               for slug in before if before[slug] != after[slug]}
    assert changed == changes


@pytest.mark.slow
@pytest.mark.parametrize("module, changes", [
    ("shared/training/run.py", {"train"}),
    ("shared/inference/stream.py", {"infer"}),
    ("shared/sources/decode.py", {"preprocess", "infer"}),
])
def test_the_inference_kernel_changes_with_its_code_alone(code_clone, module, changes):
    before = fingerprints(code_clone, "build/h")
    after = edited(code_clone, module, "build/i")
    assert any(slug.endswith("-infer") for slug in before)
    changed = {slug.rsplit("-", 2)[1] if "-preprocess-" in slug else slug.rsplit("-", 1)[1]
               for slug in before if before[slug] != after[slug]}
    assert changed == changes
