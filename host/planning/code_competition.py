"""Planning a code competition: only the train rows are sharded; the test set comes later.

In a code competition Kaggle re-runs the submitted notebook with the competition folder
swapped for a hidden one: the same train files, a test folder holding the whole test set and a
``sample_submission.csv`` listing every hidden row. The public folder holds a few test images
and placeholder rows, or none. So the preprocessing kernels shard the train rows alone, and
the inference kernel decodes the test images that the mounted sample lists when it runs: the
public run predicts the placeholder rows, the scoring rerun the hidden ones.

``code_layout`` turns the detected layout into that shape (``test_at_inference``), finding the
test folder from the placeholders' images or, with none, from the folder names.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from shared.sources.layout import SourceLayout

__all__ = ["code_layout", "code_notes"]

_TEST_FOLDERS = ("test", "test_images", "test-images", "testing", "test_data")


def _test_folder(data_dir: Path) -> str:
    """The one folder named like a test folder (top level, then one level down), or ""."""
    for pattern in ("*", "*/*"):
        found = sorted(str(p.relative_to(data_dir)) for p in data_dir.glob(pattern)
                       if p.is_dir() and p.name.lower() in _TEST_FOLDERS)
        if len(found) == 1:
            return found[0]
        if found:
            raise ValueError(f"several test folders in {data_dir}: {', '.join(found)}; the "
                             "inference kernel needs one: remove the others")
    return ""


def code_layout(layout: SourceLayout, data_dir: Path) -> SourceLayout:
    """``layout`` for a code competition: the train split alone, the test images found by the
    inference kernel at run time in ``test_dir``."""
    if layout.kind != "image_folder":
        raise ValueError(
            f"[competition] submission = \"code\" with a {layout.kind} layout: the inference "
            "kernel decodes test images from a folder at scoring time, and this competition "
            "ships its test set as a CSV of pixels. Set [competition] submission = \"csv\" "
            "(such competitions ship their whole test set)")
    test_dir = layout.test_dir if layout.split_rows.get("test") else _test_folder(data_dir)
    if not test_dir and not layout.split_rows.get("test"):
        raise ValueError(
            f"{layout.sample_submission} lists no test ids and {data_dir} holds no folder named "
            f"like a test folder ({', '.join(_TEST_FOLDERS)}): the inference kernel would not "
            "know where Kaggle puts the hidden test images. Keep the competition's test folder "
            "in the data folder (it may be empty)")
    return dataclasses.replace(layout, test_at_inference=True, test_dir=test_dir,
                               split_rows={"train": layout.split_rows["train"]})


def code_notes(layout: SourceLayout, public_rows: int, infer_kernel: str) -> list[str]:
    """What the plan says about a code competition."""
    shown = (f"its {public_rows} placeholder row(s)" if public_rows
             else "no row (the public sample holds only its header)")
    return [f"code competition: the preprocessing kernels shard the "
            f"{layout.split_rows['train']} train rows only; {infer_kernel} decodes the test "
            f"images {layout.sample_submission} lists when it runs (in "
            f"{layout.test_dir or 'the competition folder'}/): the public run predicts {shown}, "
            "Kaggle's scoring rerun every hidden row. It is the kernel that gets submitted"]
