"""One self-contained kernel script: entry code + the runtime modules it runs + the assignment.

A Kaggle kernel is one file. The script carries the modules of ``shared`` that its role runs
(``closure.runtime_closure``) as a base64 zip that it writes to the temporary directory
(outside ``/kaggle/working``, so nothing but results lands in the output) and imports with
zipimport; then the baked assignment; then the kernel's entry code from ``kernels/<role>.py``,
unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Sequence

import shared

__all__ = ["package_zip", "render_script", "fingerprint"]

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_FUTURE = re.compile(r"^from __future__ import [^\n]+\n", re.MULTILINE)

_BOOTSTRAP = '''\
def _mount_shared_package() -> None:
    """Write the embedded ``shared`` package to the temp dir once and import it from there."""
    import base64, hashlib, os, sys, tempfile

    data = base64.b64decode("".join(_SHARED_ZIP))
    digest = hashlib.sha256(data).hexdigest()[:16]
    path = os.path.join(tempfile.gettempdir(), f"kaggle-pipeline-shared-{digest}.zip")
    if not os.path.exists(path):
        partial = f"{path}.{os.getpid()}.partial"
        with open(partial, "wb") as fh:
            fh.write(data)
        os.replace(partial, path)
    sys.path.insert(0, path)


_mount_shared_package()
'''


def package_zip(files: Sequence[Path], repo: Path) -> bytes:
    """``files`` (of the ``shared`` package, below ``repo``) as a deterministic zip: the same
    code gives the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(Path(f) for f in files):
            info = zipfile.ZipInfo(path.relative_to(repo).as_posix(), date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def fingerprint(zip_bytes: bytes, entry_source: str, assignment_json: str) -> str:
    """SHA-256 over everything the kernel runs: package, entry code and assignment."""
    digest = hashlib.sha256()
    for part in (zip_bytes, entry_source.encode(), assignment_json.encode()):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def render_script(*, slug: str, role: str, entry_name: str, entry_source: str,
                  zip_bytes: bytes, assignment_json: str, bundle_fingerprint: str) -> str:
    """The kernel's single file."""
    encoded = base64.b64encode(zip_bytes).decode("ascii")
    chunks = ",\n".join(f'    "{encoded[i:i + 96]}"' for i in range(0, len(encoded), 96))
    futures = "".join(_FUTURE.findall(entry_source))
    body = _FUTURE.sub("", entry_source)
    modules = sum(1 for n in zipfile.ZipFile(io.BytesIO(zip_bytes)).namelist() if n.endswith(".py"))
    header = (
        f"# Kaggle kernel '{slug}' ({role}), built by kaggle-memmap-pipeline "
        f"{shared.__version__}.\n"
        f"# Built from {entry_name} plus the {modules} modules of `shared` it runs (embedded "
        "below) and this\n"
        "# kernel's assignment (BAKED_ASSIGNMENT). Do not edit: rebuild it with "
        "scripts/dry_run.py or scripts/push.py.\n"
        f"# Bundle fingerprint: sha256:{bundle_fingerprint}\n"
    )
    return (f"{header}{futures}\n_SHARED_ZIP = (\n{chunks},\n)\n\n{_BOOTSTRAP}\n"
            f"BAKED_ASSIGNMENT = {assignment_json!r}\n\n"
            f"# ---- {entry_name} " + "-" * max(0, 80 - len(entry_name) - 8) + "\n"
            f"{body}")
