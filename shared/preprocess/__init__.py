"""The preprocessing kernel's work: decode assigned rows in parallel into shards.

``run_preprocess(assignment, input_root, out_dir)`` is what ``kernels/preprocess.py`` calls.
"""

from shared.preprocess.preview import PREVIEW_NAME, write_preview
from shared.preprocess.run import PreprocessSummary, competition_folder, run_preprocess

__all__ = ["PREVIEW_NAME", "PreprocessSummary", "competition_folder", "run_preprocess",
           "write_preview"]
