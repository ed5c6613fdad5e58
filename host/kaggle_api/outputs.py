"""What a finished run left behind: its output files, its manifest, its log.

Downloads go to a hidden folder first and are renamed into place only when every file has
arrived, so an interrupted download never looks like a finished one.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from host.kaggle_api.service import KaggleCallError, KaggleService, OutputFile
from shared.store.manifest import MANIFEST_NAME, Manifest

__all__ = ["download_outputs", "latest_bundle_fingerprint", "log_tail", "output_listing"]


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"output file name {name!r} points outside the output folder; "
                         "refusing to write it")
    return path


def download_outputs(service: KaggleService, kernel_id: str, version: int | None, dest: Path,
                     *, required: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Download every output file of one run into ``dest`` (replacing an older download).

    Returns the file names. A file in ``required`` that the run did not write is a
    ``FileNotFoundError`` naming the kernel; ``dest`` is then left as it was.
    """
    listing = service.outputs(kernel_id, version)
    names = {f.name for f in listing.files}
    missing = [name for name in required if name not in names]
    if missing:
        raise FileNotFoundError(
            f"{kernel_id} v{version} finished but wrote no {', '.join(missing)} (its outputs: "
            f"{', '.join(sorted(names)) or 'none'}); read its log on Kaggle and fix the kernel")
    dest = Path(dest)
    partial = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        for file in listing.files:
            service.download(file, partial.joinpath(*_safe_name(file.name).parts))
        if listing.log:
            (partial / "kernel.log").write_text(listing.log, encoding="utf-8")
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    old = dest.with_name(f".{dest.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if dest.exists():
        dest.rename(old)
    partial.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
    return tuple(sorted(names))


def output_listing(service: KaggleService, kernel_id: str, version: int | None):
    """The files of run ``version`` (None: the latest); None when the kernel has no run."""
    try:
        return service.outputs(kernel_id, version)
    except KaggleCallError as exc:
        if exc.status == 404:
            return None
        raise


def latest_bundle_fingerprint(service: KaggleService, kernel_id: str) -> str | None:
    """``bundle_fingerprint`` of the manifest in the kernel's latest output, or None when
    the kernel has no run, no manifest, or an unreadable one."""
    listing = output_listing(service, kernel_id, None)
    if listing is None:
        return None
    manifest = next((f for f in listing.files if f.name == MANIFEST_NAME), None)
    if manifest is None:
        return None
    with tempfile.TemporaryDirectory(prefix="kaggle-manifest-") as tmp:
        path = service.download(OutputFile(manifest.name, manifest.url), Path(tmp) / MANIFEST_NAME)
        try:
            return Manifest.load(path).bundle_fingerprint or None
        except ValueError as exc:
            service.say(f"note: {kernel_id}'s latest manifest is unreadable ({exc}); re-running it")
            return None


def log_tail(log: str, lines: int = 40) -> str:
    """The last ``lines`` lines of a kernel log.

    Kaggle serves logs as a JSON list of ``{"stream_name", "time", "data"}`` events; plain text
    is accepted too.
    """
    text = log
    try:
        events = json.loads(log)
    except ValueError:
        events = None
    if isinstance(events, list):
        text = "".join(str(e.get("data", "")) for e in events if isinstance(e, dict))
    tail = text.rstrip("\n").splitlines()[-lines:]
    return "\n".join(tail) if tail else "(the log is empty)"
