"""Two clones sharing one virtual environment: each script bundles its own checkout's code."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from host.bundle.checkout import check_checkout

ROOT = Path(__file__).resolve().parents[3]
COPIED = ("scripts", "host", "shared", "kernels", "kernel-metadata", "examples")


def clone(to: Path) -> Path:
    for name in COPIED:
        shutil.copytree(ROOT / name, to / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return to


def planned_fingerprints(repo: Path, tmp: Path) -> str:
    """``push.py --plan`` of ``repo``'s script, run with this environment's Python (whose
    editable install is this checkout): the kernels' fingerprints it prints."""
    config = tmp / f"{repo.name}.toml"
    data = ROOT / "examples" / "fashion-mnist-mini"
    config.write_text(f'[competition]\nslug = "clones"\ndata_dir = "{data}"\n'
                      '[kaggle]\nowner = "alice"\n')
    result = subprocess.run([sys.executable, str(repo / "scripts" / "push.py"), "--plan",
                             "--config", str(config), "--build-dir", str(tmp / repo.name)],
                            capture_output=True, text=True, cwd=tmp, timeout=300)
    assert result.returncode == 0, result.stderr
    return "\n".join(line.split()[-1] for line in result.stdout.splitlines()
                     if line.startswith("alice/"))


@pytest.mark.slow
def test_a_second_clone_bundles_its_own_code(tmp_path):
    other = clone(tmp_path / "other")
    with open(other / "shared" / "units.py", "a", encoding="utf-8") as fh:
        fh.write("# a change in the second clone only\n")
    mine = planned_fingerprints(ROOT, tmp_path)
    theirs = planned_fingerprints(other, tmp_path)
    assert mine and len(mine.splitlines()) == len(theirs.splitlines())
    assert mine != theirs  # the second clone's kernels carry its own shared/units.py


def test_a_script_of_another_checkout_is_refused_naming_both(tmp_path):
    script = tmp_path / "other" / "scripts" / "push.py"
    with pytest.raises(ValueError) as caught:
        check_checkout(script)
    assert str(caught.value) == (
        f"push.py belongs to the checkout {tmp_path / 'other'}, but this Python imports the "
        f"pipeline's host package from {ROOT} (another checkout installed in the same "
        "environment): its kernels would carry and be fingerprinted by that checkout's code. "
        f"Run {ROOT / 'scripts' / 'push.py'} instead, or install this checkout (pip install -e "
        f"{tmp_path / 'other'})")
    assert check_checkout(ROOT / "scripts" / "dry_run.py") == ROOT
