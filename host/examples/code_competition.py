"""A code competition built from an image-folder competition: a public folder and a hidden one.

Kaggle scores a code competition by re-running the submitted notebook with the competition
folder swapped for a hidden version. ``write_code_competition`` derives both from a
competition with labelled test images (the embedded example):

- **public**: the train files; ``test/`` with ``public_rows`` images and a sample listing
  them with a placeholder value (what competitors download);
- **hidden**: the same train files; ``test/`` with ``hidden_rows`` other images (ids the
  public folder never shows), ``broken`` of them unreadable (a truncated file and one that is
  not an image); a sample listing every hidden row; ``solution.csv`` for a local score (the
  dry run never mounts it).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from shared.checks import check_int

__all__ = ["CodeCompetition", "write_code_competition"]


@dataclass(frozen=True)
class CodeCompetition:
    """The two folders written, and the ids of the hidden rows whose image is unreadable."""

    public: Path
    hidden: Path
    broken_ids: tuple[str, ...]


def _copy_train(source: Path, target: Path) -> None:
    target.mkdir(parents=True)
    shutil.copytree(source / "train", target / "train")
    shutil.copy2(source / "train.csv", target / "train.csv")
    for extra in ("LICENSE.txt",):
        if (source / extra).is_file():
            shutil.copy2(source / extra, target / extra)


def _test_folder(source: Path, target: Path, ids: list[str]) -> None:
    (target / "test").mkdir()
    for name in ids:
        shutil.copy2(source / "test" / f"{name}.png", target / "test" / f"{name}.png")


def write_code_competition(source: str | os.PathLike, out: str | os.PathLike, *,
                           public_rows: int = 3, hidden_rows: int = 200,
                           broken: int = 2) -> CodeCompetition:
    """``out/public`` and ``out/hidden`` from ``source`` (see the module docstring)."""
    check_int("public_rows", public_rows, minimum=0)
    check_int("hidden_rows", hidden_rows, minimum=broken + 1)
    source, out = Path(source), Path(out)
    solution = pd.read_csv(source / "solution.csv", dtype=str, keep_default_na=False)
    if public_rows + hidden_rows > len(solution):
        raise ValueError(f"{source} has {len(solution)} labelled test images; asked for "
                         f"{public_rows} public and {hidden_rows} hidden")
    placeholder = pd.read_csv(source / "sample_submission.csv", dtype=str).iloc[0, 1]
    id_column, value_column = solution.columns[:2]
    public_ids = solution[id_column].tolist()[:public_rows]
    hidden = solution.iloc[public_rows:public_rows + hidden_rows].reset_index(drop=True)
    if out.exists():
        shutil.rmtree(out)
    public, secret = out / "public", out / "hidden"
    for folder in (public, secret):
        _copy_train(source, folder)
    _test_folder(source, public, public_ids)
    pd.DataFrame({id_column: public_ids, value_column: placeholder}).to_csv(
        public / "sample_submission.csv", index=False)
    hidden_ids = hidden[id_column].tolist()
    _test_folder(source, secret, hidden_ids)
    broken_ids = tuple(hidden_ids[len(hidden_ids) // 2:len(hidden_ids) // 2 + broken])
    for k, name in enumerate(broken_ids):
        path = secret / "test" / f"{name}.png"
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 3] if k % 2 == 0 else b"not an image at all")
    pd.DataFrame({id_column: hidden_ids, value_column: placeholder}).to_csv(
        secret / "sample_submission.csv", index=False)
    hidden.to_csv(secret / "solution.csv", index=False)
    return CodeCompetition(public=public, hidden=secret, broken_ids=broken_ids)
