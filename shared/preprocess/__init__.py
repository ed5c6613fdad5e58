"""The preprocessing kernel's work: decode assigned rows in parallel into shards.

``run_preprocess(assignment, input_root, out_dir)`` is what ``kernels/preprocess.py`` calls.
Its decode jobs and worker pool (``decode_jobs``, ``pool``, ``slots``) also serve the
inference kernel. Names are imported from their module on first use (``shared.lazy``), so a
kernel that decodes without writing shards does not carry the writer.
"""

from shared.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "shared.preprocess.preview": ("PREVIEW_NAME", "write_preview"),
    "shared.preprocess.run": ("PreprocessSummary", "competition_folder", "run_preprocess"),
})
