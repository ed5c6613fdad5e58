"""Bundles: one self-contained file that runs anywhere, with no repository on sys.path."""

import io
import json
import os
import subprocess
import sys
import zipfile

from pathlib import Path

from host.bundle.closure import runtime_closure
from host.bundle.script import fingerprint, package_zip, render_script

ROOT = Path(__file__).resolve().parents[3]

ENTRY = '''\
"""A test entry: prints what the baked assignment and the embedded package say."""
from __future__ import annotations

import json
import sys

import shared
from shared.config import PipelineConfig


def main(text: str) -> int:
    data = json.loads(text)
    print("package from", shared.__file__)
    print("epochs", PipelineConfig.from_dict(data["config"]).train.epochs)
    return int(data.get("exit", 0))


if __name__ == "__main__":
    sys.exit(main(globals()["BAKED_ASSIGNMENT"]))
'''


def entry_zip(tmp_path) -> bytes:
    entry = tmp_path / "entry.py"
    entry.write_text(ENTRY)
    return package_zip(runtime_closure(entry, ROOT), ROOT)


def render(tmp_path, assignment: dict) -> str:
    text = json.dumps(assignment)
    zip_bytes = entry_zip(tmp_path)
    return render_script(slug="demo-preprocess-00", role="preprocess",
                         entry_name="kernels/preprocess.py", entry_source=ENTRY,
                         zip_bytes=zip_bytes, assignment_json=text,
                         bundle_fingerprint=fingerprint(zip_bytes, ENTRY, text))


def run_alone(script: str, folder, env_extra=None):
    folder.mkdir()
    (folder / "kernel.py").write_text(script)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TMPDIR"] = str(folder.parent / "tmp")
    (folder.parent / "tmp").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "kernel.py"], cwd=folder, env=env,
                          capture_output=True, text=True)


def test_a_bundle_copied_alone_runs_without_the_repository(tmp_path):
    script = render(tmp_path, {"config": {"train": {"epochs": 7}}})
    proc = run_alone(script, tmp_path / "empty")
    assert proc.returncode == 0, proc.stderr
    assert "epochs 7" in proc.stdout
    assert "kaggle-pipeline-shared-" in proc.stdout  # imported from the embedded zip
    assert os.listdir(tmp_path / "empty") == ["kernel.py"]  # nothing but results in the output


def test_an_exception_or_exit_code_fails_the_kernel(tmp_path):
    proc = run_alone(render(tmp_path, {"config": {}, "exit": 3}), tmp_path / "a")
    assert proc.returncode == 3
    proc = run_alone(render(tmp_path, {"config": {"train": {"epochs": -1}}}), tmp_path / "b")
    assert proc.returncode == 1
    assert "[train] epochs = -1: expected a positive integer" in proc.stderr


def test_header_says_what_it_is_and_its_fingerprint(tmp_path):
    script = render(tmp_path, {"config": {}})
    head = script.splitlines()[:4]
    assert head[0].startswith("# Kaggle kernel 'demo-preprocess-00' (preprocess)")
    assert "kernels/preprocess.py plus the" in head[1] and "modules of `shared` it runs" in head[1]
    assert head[3].startswith("# Bundle fingerprint: sha256:")
    assert script.index("from __future__ import annotations") < script.index("_SHARED_ZIP")


def test_package_zip_is_deterministic_and_holds_what_the_entry_imports(tmp_path):
    first, second = entry_zip(tmp_path), entry_zip(tmp_path)
    assert first == second
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert "shared/config.py" in names and "shared/__init__.py" in names
    assert "shared/checks.py" in names  # imported by shared/config.py
    assert "shared/store/writer.py" not in names  # the entry never imports the store
    assert not [n for n in names if "__pycache__" in n or not n.endswith(".py")]


def test_fingerprint_changes_with_code_or_assignment():
    base = fingerprint(b"zip", "entry", "{}")
    assert base != fingerprint(b"zip2", "entry", "{}")
    assert base != fingerprint(b"zip", "entry2", "{}")
    assert base != fingerprint(b"zip", "entry", '{"a": 1}')
